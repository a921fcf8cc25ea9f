/**
 * @module bench/baselines/raw-bun
 * Baseline: the limit of the runtime. A minimal `Bun.serve` pub/sub server that does the same job
 * as Hubbub for the load generator — same WebSocket path and subprotocol, same msgpack frames — and
 * nothing else: no authentication (the token is ignored; the user comes from `?user=`), no
 * validation beyond reading the fields it needs, no rate limits, no presence, no persistence.
 *
 * - On open: subscribes the socket to `u:<user>` and sends a HELLO-shaped `[2, "raw", user, time, 25000]`.
 * - `[0]` PING → `[1]` PONG.
 * - `[10, rid, room]` JOIN → subscribe to `r:<room>`, REPLY `[3, rid, {}]`.
 * - `[12, rid, room, payload]` PUBLISH → `server.publish` of `[40, room, id, 0, time, user, payload]`
 *   (the payload's bytes are copied, never decoded), then REPLY `[3, rid, {id, offset, time}]`.
 * - `[13, rid, to, payload]` DIRECT → the same MESSAGE to `u:<to>` (channel `@<from>`) and to
 *   `u:<from>` (channel `@<to>`), then REPLY.
 *
 *   bun bench/baselines/raw-bun.ts [--port 0] [--host 127.0.0.1]
 *
 * Prints `listening on http://HOST:PORT` once it accepts connections.
 */
import type { ServerWebSocket } from "bun";
import { Cursor, Writer } from "../lib/msgpack-lite.ts";

interface SocketData {
  user: string;
}

function flag(name: string, fallback: string): string {
  const i = process.argv.indexOf(`--${name}`);
  return i > 0 ? (process.argv[i + 1] ?? fallback) : fallback;
}

const hostname = flag("host", "127.0.0.1");
const port = Number(flag("port", "0"));
const cursor = new Cursor();
const writer = new Writer(1024);
const PONG = new Uint8Array([0x91, 0x01]);
let anonymous = 0;
let messageCounter = 0;

/** A 22-character id like Hubbub's, so frames have the same size. */
function nextId(): string {
  return (++messageCounter).toString(36).padStart(22, "0");
}

function reply(ws: ServerWebSocket<SocketData>, rid: number, id?: string, time?: number): void {
  const w = writer.reset().arrayHeader(3).uint(3).uint(rid);
  if (id === undefined) w.mapHeader(0);
  else w.mapHeader(3).str("id").str(id).str("offset").uint(0).str("time").uint(time!);
  ws.send(w.copy());
}

function message(channel: string, id: string, time: number, from: string, payload: Uint8Array): Uint8Array {
  return writer.reset().arrayHeader(7).uint(40).str(channel).str(id).uint(0).uint(time).str(from).raw(payload).copy();
}

const server = Bun.serve<SocketData>({
  hostname,
  port,
  fetch(request, srv) {
    const user = new URL(request.url).searchParams.get("user") ?? `anonymous-${++anonymous}`;
    const upgraded = srv.upgrade(request, { data: { user }, headers: { "Sec-WebSocket-Protocol": "hubbub.v1.msgpack" } });
    return upgraded ? undefined : new Response("expected a WebSocket upgrade", { status: 400 });
  },
  websocket: {
    perMessageDeflate: false,
    idleTimeout: 120,
    backpressureLimit: 4 * 1024 * 1024,
    sendPings: false,
    open(ws) {
      ws.subscribe(`u:${ws.data.user}`);
      ws.send(writer.reset().arrayHeader(5).uint(2).str("raw").str(ws.data.user).uint(Date.now()).uint(25_000).copy());
    },
    message(ws, data) {
      if (typeof data === "string") return;
      const c = cursor.reset(data, 0, data.length);
      const n = c.arrayHeader();
      const type = c.number();
      if (type === 0) {
        ws.send(PONG);
        return;
      }
      if (n < 3) return;
      const rid = c.number();
      const name = c.str();
      if (type === 10) {
        ws.subscribe(`r:${name}`);
        reply(ws, rid);
        return;
      }
      if (n < 4 || (type !== 12 && type !== 13)) return;
      const start = c.pos;
      c.skip();
      const payload = data.subarray(start, c.pos);
      const id = nextId();
      const time = Date.now();
      const from = ws.data.user;
      if (type === 12) {
        server.publish(`r:${name}`, message(name, id, time, from, payload));
      } else {
        server.publish(`u:${name}`, message(`@${from}`, id, time, from, payload));
        if (name !== from) server.publish(`u:${from}`, message(`@${name}`, id, time, from, payload));
      }
      reply(ws, rid, id, time);
    },
  },
});

process.stdout.write(`raw-bun baseline listening on http://${hostname}:${server.port}\n`);
const stop = () => {
  server.stop(true);
  process.exit(0);
};
process.on("SIGTERM", stop);
process.on("SIGINT", stop);
