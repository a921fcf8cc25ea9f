import { expect, test } from "bun:test";
import { FrameType } from "../../proto/index.ts";
import { ManualClock } from "../helpers/manual-clock.ts";
import { startTestServer } from "../helpers/server.ts";
import { observe, startWebhookReceiver } from "../helpers/webhooks.ts";

const SECRET = "webhook-secret-0123456789";

test("signed user.online / user.offline (debounced) / message.offline webhooks", async () => {
  using receiver = startWebhookReceiver(SECRET);
  await using server = await startTestServer({ webhookUrl: receiver.url, webhookSecret: SECRET, webhookOfflineGraceMs: 300 });
  const clock = new ManualClock();
  server.webhooks!.useClock(clock);
  const seen = observe(server.webhooks!);
  const alice = await server.client("alice");
  const online = await receiver.waitFor((e) => e.type === "user.online");
  expect(online).toMatchObject({ type: "user.online", data: { user: "alice" } });
  expect(online.headerId).toBe(online.id);
  // A reload: the last session closes and another opens within the grace period: no offline.
  alice.close();
  await clock.until(() => clock.pending.length === 1);
  expect(clock.pending).toEqual([300]);
  const again = await server.client("alice");
  await clock.until(() => clock.pending.length === 0); // the new session cancelled the report
  clock.advance(1000);
  expect(seen.of("queued").filter((e) => e.job.type === "user.offline")).toHaveLength(0);
  // Closing for good: reported once the grace period is over, not before.
  again.close();
  await clock.until(() => clock.pending.length === 1);
  clock.advance(299);
  expect(seen.of("queued").filter((e) => e.job.type === "user.offline")).toHaveLength(0);
  clock.advance(1);
  expect(await receiver.waitFor((e) => e.type === "user.offline")).toMatchObject({ data: { user: "alice" } });
  // A direct message to an offline user: metadata only by default.
  const bob = await server.client("bob");
  const sent = await bob.request({ type: FrameType.Direct, user: "carol", payload: { text: "call me" } });
  const offline = await receiver.waitFor((e) => e.type === "message.offline");
  // {text: "call me"} is 14 bytes of msgpack: fixmap(1), fixstr "text", fixstr "call me".
  expect(offline.data).toEqual({ id: sent.id, from: "bob", to: "carol", time: expect.any(Number), size: 14 });
});

test("webhookPayloadBytes: payloads up to the limit are included, larger ones marked truncated", async () => {
  using receiver = startWebhookReceiver(SECRET);
  await using server = await startTestServer({ webhookUrl: receiver.url, webhookSecret: SECRET, webhookPayloadBytes: 14 });
  const bob = await server.client("bob");
  const small = await bob.request({ type: FrameType.Direct, user: "carol", payload: { text: "call me" } }); // 14 bytes
  const large = await bob.request({ type: FrameType.Direct, user: "carol", payload: { text: "call me!" } }); // 15 bytes
  const binary = await bob.request({ type: FrameType.Direct, user: "dan", payload: new Uint8Array([1, 2, 3]) }); // bin8: 5 bytes
  const byId = async (id: string) => (await receiver.waitFor((e) => e.type === "message.offline" && e.data.id === id)).data;
  expect(await byId(small.id)).toEqual({ id: small.id, from: "bob", to: "carol", time: expect.any(Number), size: 14, payload: { text: "call me" } });
  expect(await byId(large.id)).toEqual({ id: large.id, from: "bob", to: "carol", time: expect.any(Number), size: 15, truncated: true });
  expect(await byId(binary.id)).toEqual({ id: binary.id, from: "bob", to: "dan", time: expect.any(Number), size: 5, payload: { $bin: "AQID" } });
});

test("failed deliveries are retried with backoff and counted", async () => {
  using receiver = startWebhookReceiver(SECRET, { failFirst: 2 });
  await using server = await startTestServer({ webhookUrl: receiver.url, webhookSecret: SECRET });
  const hooks = server.webhooks!;
  const clock = new ManualClock();
  hooks.useClock(clock);
  const seen = observe(hooks);
  await server.client("dave");
  // Attempt 1 is refused; the retry is due in 250..500 ms (base 500 ms, jitter takes off up to half).
  const first = await seen.attempt(1);
  expect(first.attempt).toMatchObject({ attempt: 1, result: "retry", problem: "HTTP 503" });
  const wait1 = first.attempt.retryInMs!;
  expect(wait1).toBeGreaterThanOrEqual(250);
  expect(wait1).toBeLessThanOrEqual(500);
  expect(clock.pending).toEqual([wait1]);
  clock.advance(wait1 - 1);
  expect(hooks.stats.queued).toBe(1); // still waiting: not sent before it is due
  clock.advance(1);
  expect(hooks.stats.queued).toBe(0); // sent
  // Attempt 2 is refused too; the next delay doubles.
  const second = await seen.attempt(2);
  expect(second.attempt).toMatchObject({ attempt: 2, result: "retry", problem: "HTTP 503" });
  const wait2 = second.attempt.retryInMs!;
  expect(wait2).toBeGreaterThanOrEqual(500);
  expect(wait2).toBeLessThanOrEqual(1000);
  expect(clock.pending).toEqual([wait2]); // armed by the time the attempt is reported
  clock.advance(wait2);
  const third = await seen.attempt(3);
  expect(third.attempt).toEqual({ attempt: 3, result: "delivered" });
  expect(receiver.requestIds).toEqual([third.job.id, third.job.id, third.job.id]);
  expect(receiver.events).toHaveLength(1);
  expect(hooks.stats).toMatchObject({ delivered: 1, failedAttempts: 2, abandoned: 0, dropped: 0, queued: 0, queuedBytes: 0 });
  const metrics = await (await fetch(`${server.url}/metrics`)).text();
  expect(metrics).toMatch(/^hubbub_webhook_failures_total 2$/m);
  expect(metrics).toMatch(/^hubbub_webhook_delivered_total 1$/m);
});

test("an unreachable receiver is given up after maxAttempts without blocking the server", async () => {
  const closed = Bun.serve({ port: 0, hostname: "127.0.0.1", fetch: () => new Response() });
  const url = `http://127.0.0.1:${closed.port}/hook`;
  closed.stop(true);
  await using server = await startTestServer({ webhookUrl: url, webhookSecret: SECRET, webhookMaxAttempts: 2 });
  const clock = new ManualClock();
  server.webhooks!.useClock(clock);
  const seen = observe(server.webhooks!);
  const c = await server.client("erin");
  expect(await c.request({ type: FrameType.Counts })).toEqual({ users: 1, sessions: 1 });
  const first = await seen.attempt(1);
  expect(first.attempt).toMatchObject({ attempt: 1, result: "retry" });
  clock.advance(first.attempt.retryInMs!);
  expect((await seen.attempt(2)).attempt).toMatchObject({ attempt: 2, result: "abandoned" });
  expect(server.webhooks!.stats).toMatchObject({ delivered: 0, failedAttempts: 2, abandoned: 1, queued: 0 });
  expect(await c.request({ type: FrameType.Counts })).toEqual({ users: 1, sessions: 1 });
});

test("metrics, webhooks and any other observer all hear the node's events; one that throws stops none", async () => {
  using receiver = startWebhookReceiver(SECRET);
  await using server = await startTestServer({ webhookUrl: receiver.url, webhookSecret: SECRET });
  const heard: string[] = [];
  server.node.events.add({ delivered: () => { throw new Error("a broken observer"); } });
  const remove = server.node.events.add({ userOnline: (u) => heard.push(`online ${u}`), directCommitted: (m) => heard.push(`direct ${m.id}`) });
  const bob = await server.client("bob");
  const sent = await bob.request({ type: FrameType.Direct, user: "carol", payload: 1 });
  await receiver.waitFor((e) => e.type === "message.offline" && e.data.id === sent.id);
  const metrics = await (await fetch(`${server.url}/metrics`)).text();
  expect(metrics).toMatch(/hubbub_publish_to_deliver_seconds_count\{kind="direct"\} 1/);
  expect(heard).toEqual(["online bob", `direct ${sent.id}`]);
  remove();
  await bob.request({ type: FrameType.Direct, user: "carol", payload: 2 });
  expect(heard).toHaveLength(2);
});
