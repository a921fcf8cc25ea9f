/**
 * @module bench/baselines/socketio
 * Baseline: what many users would pick instead. Socket.IO 4 on Node (its `ws` transport, the
 * default in-memory adapter), doing the same job as Hubbub for the load generator, written the way
 * its documentation suggests. No authentication (like the raw Bun baseline; the user comes from the
 * handshake query), no persistence.
 *
 * - On connection: joins the socket to `u:<user>`.
 * - `join(room, ack)` → `socket.join("r:" + room)`, ack `{}`.
 * - `pub(room, payload, ack)` → `io.to("r:" + room).emit("msg", room, id, time, user, payload)`
 *   (Socket.IO encodes the packet once for all receivers), ack `{id, offset, time}`.
 * - `dm(to, payload, ack)` → the same `msg` to `u:<to>` (channel `@<from>`) and to `u:<from>`
 *   (channel `@<to>`), ack.
 * - `rtt(ack)` → ack (a ping that goes through the event path).
 *
 * It runs under Node (20+): the bench bundles it with `bun build --target node` (packages left
 * external, resolved from this repository's node_modules) and starts it with `node`.
 *
 *   node <bundle>.mjs [--port 0] [--host 127.0.0.1]
 */
import { createServer } from "node:http";
import type { AddressInfo } from "node:net";
import { Server } from "socket.io";

function flag(name: string, fallback: string): string {
  const i = process.argv.indexOf(`--${name}`);
  return i > 0 ? (process.argv[i + 1] ?? fallback) : fallback;
}

type Ack = (result?: unknown) => void;

const hostname = flag("host", "127.0.0.1");
const port = Number(flag("port", "0"));
const http = createServer();
const io = new Server(http, {
  transports: ["websocket"],
  serveClient: false,
  perMessageDeflate: false,
  httpCompression: false,
  pingInterval: 25_000,
  pingTimeout: 20_000,
});
let counter = 0;
let anonymous = 0;

/** A 22-character id like Hubbub's, so packets have the same size. */
function nextId(): string {
  return (++counter).toString(36).padStart(22, "0");
}

io.on("connection", (socket) => {
  const queried = socket.handshake.query.user;
  const user = typeof queried === "string" ? queried : `anonymous-${++anonymous}`;
  void socket.join(`u:${user}`);
  socket.on("join", (room: string, ack?: Ack) => {
    void socket.join(`r:${room}`);
    ack?.({});
  });
  socket.on("pub", (room: string, payload: unknown, ack?: Ack) => {
    const id = nextId();
    const time = Date.now();
    io.to(`r:${room}`).emit("msg", room, id, time, user, payload);
    ack?.({ id, offset: 0, time });
  });
  socket.on("dm", (to: string, payload: unknown, ack?: Ack) => {
    const id = nextId();
    const time = Date.now();
    io.to(`u:${to}`).emit("msg", `@${user}`, id, time, user, payload);
    if (to !== user) io.to(`u:${user}`).emit("msg", `@${to}`, id, time, user, payload);
    ack?.({ id, offset: 0, time });
  });
  socket.on("rtt", (ack?: Ack) => ack?.());
});

http.listen(port, hostname, () => {
  const address = http.address() as AddressInfo;
  process.stdout.write(`socket.io baseline (Node ${process.version}) listening on http://${hostname}:${address.port}\n`);
});

const stop = () => {
  void io.close();
  process.exit(0);
};
process.on("SIGTERM", stop);
process.on("SIGINT", stop);
