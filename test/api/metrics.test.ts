import { expect, test } from "bun:test";
import { FrameType } from "../../proto/index.ts";
import { freezeClock } from "../helpers/frozen-clock.ts";
import { startTestServer } from "../helpers/server.ts";

/** Parses Prometheus text exposition into `name{labels}` → value; throws on malformed lines. */
function parseExposition(text: string): Map<string, number> {
  const values = new Map<string, number>();
  for (const line of text.split("\n")) {
    if (line === "" || line.startsWith("#")) continue;
    const match = /^([a-zA-Z_:][a-zA-Z0-9_:]*(?:\{[^}]*\})?) (-?[0-9.e+-]+|NaN|\+Inf|-Inf)$/.exec(line);
    if (!match) throw new Error(`bad exposition line: ${line}`);
    values.set(match[1]!, Number(match[2]));
  }
  return values;
}

test("/metrics parses and counts what happened", async () => {
  // The rate limit refills by Date.now(): frozen, so exactly the third publish is refused however
  // long the machine takes between them.
  using clock = freezeClock();
  await using server = await startTestServer({ ratePerSecond: 2, rateBurst: 2, rateMaxStrikes: 1000 });
  const a = await server.client("a");
  const b = await server.client("b");
  await a.request({ type: FrameType.Join, room: "public:m" });
  await b.request({ type: FrameType.Join, room: "public:m" });
  clock.advance(1000); // a's bucket is full again: 2 tokens
  await a.request({ type: FrameType.Publish, room: "public:m", payload: "x" });
  await a.request({ type: FrameType.Publish, room: "public:m", payload: "y" });
  await a.request({ type: FrameType.Publish, room: "public:m", payload: "z" }).catch(() => undefined); // rate limited
  const res = await fetch(`${server.url}/metrics`);
  expect(res.headers.get("content-type")).toContain("text/plain");
  const m = parseExposition(await res.text());
  expect(m.get("hubbub_connections")).toBe(2);
  expect(m.get("hubbub_users_online")).toBe(2);
  expect(m.get("hubbub_rooms")).toBe(1);
  expect(m.get('hubbub_messages_in_total{kind="room"}')).toBe(2);
  expect(m.get('hubbub_frames_in_total{type="publish"}')).toBe(3);
  expect(m.get('hubbub_reply_errors_total{code="429"}')).toBe(1);
  expect(m.get("hubbub_store_messages_total")).toBe(2);
  expect(m.get('hubbub_publish_to_deliver_seconds_count{kind="room"}')).toBe(2);
  expect(m.get("hubbub_process_resident_memory_bytes")).toBeGreaterThan(0);
  expect([...m.keys()].some((k) => k.startsWith("hubbub_nodejs_eventloop_lag"))).toBe(true);
});

test("/healthz and /readyz; readyz turns 503 while draining", async () => {
  await using server = await startTestServer();
  expect((await fetch(`${server.url}/healthz`)).status).toBe(200);
  expect(await (await fetch(`${server.url}/readyz`)).json()).toMatchObject({ ready: true, store: true });
  server.node.draining = true;
  expect((await fetch(`${server.url}/readyz`)).status).toBe(503);
  server.node.draining = false;
});

test("log lines are JSON and never contain tokens or secrets", async () => {
  const { createLogger } = await import("../../src/log.ts");
  const lines: string[] = [];
  const log = createLogger("debug", { node: "n1" }, (l) => lines.push(l));
  log.info("hello", { session: "s1", token: "eyJsecret", apiKey: "k", nested: 1 });
  const entry = JSON.parse(lines[0]!);
  expect(entry).toMatchObject({ level: "info", msg: "hello", node: "n1", session: "s1", token: "********", apiKey: "********", nested: 1 });
});
