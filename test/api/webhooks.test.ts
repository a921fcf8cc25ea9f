import { expect, test } from "bun:test";
import { FrameType } from "../../proto/index.ts";
import { signWebhook } from "../../src/webhooks/dispatcher.ts";
import { startTestServer } from "../helpers/server.ts";

const SECRET = "webhook-secret-0123456789";

/** A real HTTP receiver that verifies signatures and can fail on purpose. */
function startReceiver(failFirst = 0) {
  const events: Array<{ id: string; type: string; data: Record<string, unknown>; headerId: string }> = [];
  let failures = failFirst;
  let attempts = 0;
  const server = Bun.serve({
    port: 0,
    async fetch(req) {
      attempts++;
      const body = await req.text();
      const header = req.headers.get("hubbub-signature") ?? "";
      const t = Number(/t=(\d+)/.exec(header)?.[1]);
      if (signWebhook(SECRET, t, body) !== header || Math.abs(Date.now() - t) > 60_000) return new Response("bad signature", { status: 401 });
      if (failures > 0) {
        failures--;
        return new Response("try later", { status: 503 });
      }
      events.push({ ...JSON.parse(body), headerId: req.headers.get("hubbub-event-id") });
      return new Response("ok");
    },
  });
  return { server, events, attempts: () => attempts, url: `http://127.0.0.1:${server.port}/hook` };
}

async function until(check: () => boolean, timeoutMs = 5000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!check()) {
    if (Date.now() > deadline) throw new Error("condition not met in time");
    await Bun.sleep(10);
  }
}

test("signed user.online / user.offline (debounced) / message.offline webhooks", async () => {
  const receiver = startReceiver();
  await using server = await startTestServer({ webhookUrl: receiver.url, webhookSecret: SECRET, webhookOfflineGraceMs: 300 });
  const alice = await server.client("alice");
  await until(() => receiver.events.some((e) => e.type === "user.online"));
  expect(receiver.events[0]).toMatchObject({ type: "user.online", data: { user: "alice" } });
  expect(receiver.events[0]!.headerId).toBe(receiver.events[0]!.id);
  // A reload: disconnect and reconnect within the grace period is not an offline.
  alice.close();
  await alice.closed;
  const again = await server.client("alice");
  await Bun.sleep(450);
  expect(receiver.events.filter((e) => e.type === "user.offline")).toHaveLength(0);
  again.close();
  await until(() => receiver.events.some((e) => e.type === "user.offline"));
  expect(receiver.events.find((e) => e.type === "user.offline")).toMatchObject({ data: { user: "alice" } });
  // A direct message to an offline user.
  const bob = await server.client("bob");
  await bob.request({ type: FrameType.Direct, user: "carol", payload: { text: "call me" } });
  await until(() => receiver.events.some((e) => e.type === "message.offline"));
  expect(receiver.events.find((e) => e.type === "message.offline")).toMatchObject({ data: { from: "bob", to: "carol", payload: { text: "call me" } } });
  receiver.server.stop(true);
});

test("failed deliveries are retried with backoff and counted", async () => {
  const receiver = startReceiver(2);
  await using server = await startTestServer({ webhookUrl: receiver.url, webhookSecret: SECRET });
  await server.client("dave");
  await until(() => receiver.events.length === 1, 10_000);
  expect(receiver.attempts()).toBe(3);
  expect(server.webhooks!.stats).toMatchObject({ delivered: 1, failedAttempts: 2, abandoned: 0 });
  const metrics = await (await fetch(`${server.url}/metrics`)).text();
  expect(metrics).toMatch(/hubbub_webhook_failures_total 2/);
  receiver.server.stop(true);
});

test("an unreachable receiver is given up after maxAttempts without blocking the server", async () => {
  await using server = await startTestServer({ webhookUrl: "http://127.0.0.1:9/hook", webhookSecret: SECRET, webhookMaxAttempts: 2 });
  const c = await server.client("erin");
  expect(await c.request({ type: FrameType.Counts })).toEqual({ users: 1, sessions: 1 });
  await until(() => server.webhooks!.stats.abandoned === 1, 10_000);
});
