/**
 * The webhook queue under a hostile load (security review, issue 10 item 4): bounded in bytes, no
 * user can take more than a share of it, and it stays cheap at 200,000 events. A real server, a
 * real HTTP receiver that hangs until released, and a manual clock so no retry fires by accident.
 */
import { expect, test } from "bun:test";
import { FrameType } from "../../proto/index.ts";
import { DEFAULT_USER_SHARE } from "../../src/webhooks/dispatcher.ts";
import { ManualClock } from "../helpers/manual-clock.ts";
import { startTestServer } from "../helpers/server.ts";
import { observe, startWebhookReceiver } from "../helpers/webhooks.ts";

const SECRET = "webhook-secret-0123456789";
const QUEUE_BYTES = 1024 * 1024;
/** Concurrency of the server's dispatcher: this many requests hang at the receiver. */
const IN_FLIGHT = 8;

/** A server whose webhook receiver hangs, with payloads in `message.offline` (the costly case). */
async function hangingSetup(overrides: Record<string, unknown> = {}) {
  const receiver = startWebhookReceiver(SECRET, { hang: true });
  const server = await startTestServer({
    webhookUrl: receiver.url,
    webhookSecret: SECRET,
    webhookQueueBytes: QUEUE_BYTES,
    webhookPayloadBytes: 65_536,
    webhookTimeoutMs: 600_000, // hung requests are released by the test, never timed out
    ratePerSecond: 10_000,
    rateBurst: 10_000,
    ...overrides,
  });
  const hooks = server.webhooks!;
  hooks.useClock(new ManualClock());
  return { receiver, server, hooks, seen: observe(hooks) };
}

/** 40,000 bytes: a 53,5xx-byte `message.offline` body once base64'd. */
const BIG = new Uint8Array(40_000).fill(7);

test("one user's large DMs to offline users: bytes bounded, only that user's events dropped, others delivered", async () => {
  const { receiver, server, hooks, seen } = await hangingSetup();
  await using _server = server;
  using _receiver = receiver;
  expect(hooks.userLimits.bytes).toBe(QUEUE_BYTES * DEFAULT_USER_SHARE);
  const mallory = await server.client("mallory");
  const sent: Array<{ id: string }> = [];
  for (let i = 0; i < 40; i++) sent.push(await mallory.request({ type: FrameType.Direct, user: `offline-${i}`, payload: BIG }));
  const fromMallory = () => seen.of("queued").filter((e) => e.job.user === "mallory" && e.job.type === "message.offline");
  await seen.until(() => fromMallory().length === 40);
  await receiver.until(() => receiver.held === IN_FLIGHT);
  // Mallory's share (128 KiB) holds two of these events; each new one pushed out her oldest.
  expect(fromMallory()[0]!.job.bytes).toBeGreaterThan(53_000);
  expect(hooks.stats.queued).toBe(2);
  expect(hooks.stats.queuedBytes).toBeLessThanOrEqual(hooks.userLimits.bytes);
  const drops = seen.of("dropped");
  expect(drops.length).toBe(41 - IN_FLIGHT - 2); // her user.online and 40 DMs, minus in flight and queued
  expect(drops.every((d) => d.reason === "user" && d.job.user === "mallory")).toBe(true);
  expect(hooks.stats).toMatchObject({ dropped: drops.length, droppedUserShare: drops.length });
  // Another user is not crowded out.
  const olivia = await server.client("olivia");
  const hers = await olivia.request({ type: FrameType.Direct, user: "offline-x", payload: { text: "hi" } });
  await seen.until(() => seen.of("queued").filter((e) => e.job.user === "olivia").length === 2);
  expect(seen.of("dropped")).toHaveLength(drops.length);
  expect(seen.maxQueuedBytes).toBeLessThanOrEqual(QUEUE_BYTES);
  expect(seen.maxQueuedBytes).toBeLessThanOrEqual(hooks.userLimits.bytes + 1024);
  const metrics = await (await fetch(`${server.url}/metrics`)).text();
  expect(metrics).toMatch(new RegExp(`^hubbub_webhook_queued_bytes ${hooks.stats.queuedBytes}$`, "m"));
  expect(metrics).toMatch(new RegExp(`^hubbub_webhook_dropped_user_share_total ${drops.length}$`, "m"));
  expect(metrics).toMatch(new RegExp(`^hubbub_webhook_dropped_total ${drops.length}$`, "m"));
  // The receiver comes back: everything still queued is delivered, olivia's events included.
  receiver.release();
  await receiver.waitFor((e) => e.type === "user.online" && e.data.user === "olivia");
  await receiver.waitFor((e) => e.type === "message.offline" && e.data.id === hers.id);
  await receiver.waitFor((e) => e.type === "message.offline" && e.data.id === sent[39]!.id); // her newest survived
  await hooks.flush(5000);
  expect(hooks.stats).toMatchObject({ delivered: IN_FLIGHT + 2 + 2, queued: 0, queuedBytes: 0, failedAttempts: 0 });
  expect(receiver.events).toHaveLength(IN_FLIGHT + 2 + 2);
});

test("many users at once: the oldest events are dropped so queued bytes stay under webhookQueueBytes", async () => {
  const { receiver, server, hooks, seen } = await hangingSetup();
  await using _server = server;
  using _receiver = receiver;
  const senders = [];
  for (let i = 0; i < 12; i++) senders.push(await server.client(`sender-${i}`));
  await seen.until(() => seen.of("queued").length === 12);
  for (const [i, sender] of senders.entries()) {
    for (let k = 0; k < 2; k++) await sender.request({ type: FrameType.Direct, user: `offline-${i}-${k}`, payload: BIG });
  }
  await seen.until(() => seen.of("queued").length === 12 + 24);
  await receiver.until(() => receiver.held === IN_FLIGHT);
  // 24 events of ~53.5 kB do not fit in 1 MiB: the oldest queued went first.
  const order = seen.of("queued").map((e) => e.job.id);
  const dropped = seen.of("dropped");
  expect(dropped.length).toBeGreaterThan(0);
  expect(dropped.every((d) => d.reason === "queue")).toBe(true);
  expect(dropped.map((d) => d.job.id)).toEqual(order.slice(IN_FLIGHT, IN_FLIGHT + dropped.length));
  expect(seen.maxQueuedBytes).toBeLessThanOrEqual(QUEUE_BYTES);
  expect(hooks.stats.queuedBytes).toBeGreaterThan(QUEUE_BYTES - 60_000);
  expect(hooks.stats).toMatchObject({ dropped: dropped.length, droppedUserShare: 0 });
  receiver.release();
  await hooks.flush(5000);
  const survivors = order.filter((id) => !dropped.some((d) => d.job.id === id));
  expect(receiver.events.map((e) => e.id).sort()).toEqual(survivors.sort());
  expect(hooks.stats).toMatchObject({ delivered: survivors.length, queued: 0, queuedBytes: 0 });
});

test("a queue of 200,000 events: emits, retries and drops do not throw and keep the bounds", async () => {
  const { receiver, server, hooks, seen } = await hangingSetup({ webhookQueueMax: 200_000, webhookQueueBytes: 1 << 30, shutdownTimeoutMs: 400 });
  await using _server = server;
  using _receiver = receiver;
  const clock = hooks.clock as ManualClock;
  for (let i = 0; i < 200_000; i++) hooks.emit("user.online", `u${i}`, { user: `u${i}` });
  expect(hooks.stats.queued).toBe(200_000 - IN_FLIGHT);
  expect(hooks.pending).toBe(200_000);
  // The receiver refuses the requests it holds: they wait for a retry beside 199,992 queued events.
  await receiver.until(() => receiver.held === IN_FLIGHT);
  receiver.answerHeld(503);
  await seen.until(() => seen.of("attempted").length === IN_FLIGHT);
  await receiver.until(() => receiver.held === IN_FLIGHT);
  expect(seen.of("attempted").every((a) => a.attempt.result === "retry")).toBe(true);
  expect(hooks.stats).toMatchObject({ queued: 200_000 - IN_FLIGHT, failedAttempts: IN_FLIGHT, dropped: 0 });
  clock.advance(60_000); // the retries are due: back in the ready list
  expect(clock.pending).toEqual([]);
  // Over the bound: each new event drops the oldest queued one (the retried ones are the oldest).
  for (let i = 200_000; i < 201_000; i++) hooks.emit("user.online", `u${i}`, { user: `u${i}` });
  expect(hooks.stats).toMatchObject({ queued: 200_000, dropped: 1_000 - IN_FLIGHT, droppedUserShare: 0 });
  expect(hooks.stats.queuedBytes).toBeLessThan(1 << 30);
}, 60_000); // ~2 s idle; 201,000 emits of real signed-JSON events take longer on a loaded machine
