import { expect, test } from "bun:test";
import { encode } from "@msgpack/msgpack";
import { createMsgpackCodec, FrameType } from "../../proto/index.ts";
import { HubbubClient } from "../../client/index.ts";
import { FAST, record, until } from "./helpers.ts";

const codec = createMsgpackCodec();
const TOKEN = "eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiJ4In0.c2ln"; // never verified by these fake servers

/** A fake Hubbub server that says HELLO (unless `silent`) and then answers nothing. */
function fakeServer(options: { silent?: boolean; after?: (send: (data: Uint8Array) => void) => void } = {}) {
  let connections = 0;
  const server = Bun.serve({
    port: 0,
    hostname: "127.0.0.1",
    fetch(request, srv) {
      return srv.upgrade(request, { headers: { "Sec-WebSocket-Protocol": "hubbub.v1.msgpack" }, data: undefined }) ? undefined : new Response("no", { status: 400 });
    },
    websocket: {
      open(ws) {
        connections++;
        if (options.silent) return;
        ws.send(codec.encode({ type: FrameType.Hello, session: `s${connections}`, user: "x", time: Date.now(), heartbeatMs: 60_000, limits: { maxFrameBytes: 65536, maxPayloadBytes: 32768, maxRooms: 10, ratePerSecond: 100, rateBurst: 100 } }));
        options.after?.((data) => ws.send(data));
      },
      message() {},
    },
  });
  return { server, url: `ws://127.0.0.1:${server.port}/ws`, connections: () => connections };
}

test("a request with no answer rejects with `timeout` after its own timeout", async () => {
  const fake = fakeServer();
  const client = new HubbubClient({ url: fake.url, token: TOKEN, reconnect: FAST });
  await client.connect();
  const started = Date.now();
  const error = await client.publish("public:x", "hello", { timeoutMs: 100 }).catch((e: unknown) => e);
  expect(error).toMatchObject({ kind: "timeout" });
  expect(Date.now() - started).toBeGreaterThanOrEqual(95);
  expect(client.pending).toBe(0);
  client.close();
  fake.server.stop(true);
});

test("a connection that never says HELLO is abandoned after connectTimeoutMs and retried", async () => {
  const fake = fakeServer({ silent: true });
  const client = new HubbubClient({ url: fake.url, token: TOKEN, reconnect: FAST, connectTimeoutMs: 100 });
  const drops = record(client, "disconnected");
  void client.connect().catch(() => undefined);
  await until(() => fake.connections() >= 2, "a second attempt");
  expect(drops[0]).toMatchObject({ code: 1006, reason: "connect timeout", willReconnect: true });
  expect(client.state).toBe("connecting");
  client.close();
  fake.server.stop(true);
});

test("push types newer than the client and unknown actions are ignored", async () => {
  const fake = fakeServer({
    after: (send) => {
      send(encode([50, "from the future", 1]));
      send(encode([41, "public:x", "id1", 9, null, 1, "bob"])); // UPDATE with an unknown action
      send(encode([43, "public:x", "bob"]));
    },
  });
  const client = new HubbubClient({ url: fake.url, token: TOKEN, reconnect: FAST });
  const typing = record(client, "typing");
  const updates = record(client, "update");
  const errors = record(client, "error");
  await client.connect();
  await until(() => typing.length === 1, "the typing event");
  expect(updates).toEqual([]);
  expect(errors).toEqual([]);
  expect(client.state).toBe("connected");
  client.close();
  fake.server.stop(true);
});
