/**
 * Two people chat in a real browser (Debian's Chromium through playwright-core): in a room and by
 * direct message, with presence, typing, read receipts, edit and recall, and both survive a server
 * restart with a message queued during the outage delivered exactly once.
 */
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { Browser, Page } from "playwright-core";
import { startTestServer, type TestServer } from "../helpers/server.ts";
import { browserAvailable, launch, screenshot, signIn } from "./helpers.ts";

const run = browserAvailable();

function freePort(): number {
  const probe = Bun.serve({ port: 0, hostname: "127.0.0.1", fetch: () => new Response() });
  const port = probe.port!;
  probe.stop(true);
  return port;
}

async function startOn(port: number, dataPath: string): Promise<TestServer> {
  for (let attempt = 0; ; attempt++) {
    try {
      return await startTestServer({ port, dataPath, devMode: true });
    } catch (err) {
      if (attempt > 50) throw err;
      await Bun.sleep(20);
    }
  }
}

const message = (page: Page, text: string) => page.locator(".messages .msg", { hasText: text });

async function say(page: Page, text: string): Promise<void> {
  await page.locator("#composer").fill(text);
  await page.keyboard.press("Enter");
}

describe.skipIf(!run)("web chat in Chromium", () => {
  let dir: string;
  let port: number;
  let server: TestServer;
  let browser: Browser;
  let alice: Page;
  let bob: Page;

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), "hubbub-browser-"));
    port = freePort();
    server = await startOn(port, join(dir, "hubbub.db"));
    browser = await launch();
    const open = async () => {
      const page = await (await browser.newContext({ viewport: { width: 1280, height: 800 } })).newPage();
      page.setDefaultTimeout(10_000);
      page.on("pageerror", (error) => console.error("page error:", error));
      return page;
    };
    alice = await open();
    bob = await open();
  }, 30_000);

  afterAll(async () => {
    await browser?.close();
    await server?.stop(0);
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  test("two users sign in, see each other, type, chat and read in a room", async () => {
    await signIn(alice, server.url, "alice");
    await signIn(bob, server.url, "bob");
    for (const page of [alice, bob]) await page.locator(".channel-title", { hasText: "lobby" }).waitFor();
    // presence: each sees the other in the member list, and the counts
    await alice.locator(".members [data-user=bob]").waitFor();
    await bob.locator(".members [data-user=alice]").waitFor();
    await alice.getByTestId("counts").filter({ hasText: "2 online" }).waitFor();

    // typing
    await bob.locator("#composer").pressSequentially("Hi Al", { delay: 20 });
    await alice.getByTestId("typing").filter({ hasText: "bob is typing" }).waitFor();
    await bob.locator("#composer").pressSequentially("ice! How is the release going?");
    await bob.keyboard.press("Enter");
    await message(alice, "Hi Alice! How is the release going?").waitFor();
    await alice.getByTestId("typing").filter({ hasText: "typing" }).waitFor({ state: "detached" }).catch(() => undefined);
    expect(await alice.getByTestId("typing").textContent()).toBe("");

    await say(alice, "Almost there: the browser tests are green");
    await say(alice, "Shipping after lunch");
    await message(bob, "Shipping after lunch").waitFor();
    // read receipts: bob is looking at the room, so alice sees that he read her messages
    await alice.getByTestId("seen").filter({ hasText: "Seen by bob" }).waitFor();
    await say(bob, "Great news — grüße from the QA team!");
    await message(alice, "grüße from the QA team").waitFor();
  }, 30_000);

  test("a direct conversation: unread badge, reply, and the peer shown online", async () => {
    await alice.locator(".members [data-user=bob] button").click();
    await alice.locator(".channel-title", { hasText: "bob" }).waitFor();
    await say(alice, "psst — lunch at noon?");
    const badge = bob.locator('[data-channel="@alice"] .badge');
    await badge.filter({ hasText: "1" }).waitFor();
    await bob.locator('[data-channel="@alice"]').click();
    await message(bob, "psst — lunch at noon?").waitFor();
    await badge.waitFor({ state: "detached" });
    await alice.getByTestId("seen").filter({ hasText: "Seen" }).waitFor(); // bob read it
    await say(bob, "Sure, see you there");
    await message(alice, "Sure, see you there").waitFor();
    await screenshot(bob, "chat-dm.png");
    await alice.locator(".channel-subtitle", { hasText: "online" }).waitFor();
  }, 30_000);

  test("edit and recall your own message; the other side sees both", async () => {
    await alice.locator('[data-channel="public:lobby"]').click();
    await bob.locator('[data-channel="public:lobby"]').click();
    await say(alice, "Deploying to prod nwo");
    await message(bob, "Deploying to prod nwo").waitFor();
    // ↑ in an empty composer edits the last own message
    await alice.locator("#composer").click();
    await alice.keyboard.press("ArrowUp");
    await alice.locator(".edit-bar").waitFor();
    await alice.locator("#composer").fill("Deploying to prod now");
    await alice.keyboard.press("Enter");
    await message(bob, "Deploying to prod now").filter({ hasText: "(edited)" }).waitFor();

    await say(alice, "oops, wrong room");
    const oops = message(alice, "oops, wrong room");
    await message(bob, "oops, wrong room").waitFor();
    await oops.hover();
    await oops.getByRole("button", { name: "Recall message" }).click();
    await message(bob, "This message was recalled").waitFor();
    await message(alice, "You recalled this message").waitFor();
    expect(await message(bob, "oops, wrong room").count()).toBe(0);
    await alice.mouse.move(640, 30); // no hover highlight in the screenshot
    await screenshot(alice, "chat.png");
    await screenshot(bob, "chat-bob.png");
  }, 30_000);

  test("both survive a server restart; a message sent during the outage arrives exactly once", async () => {
    await server.stop(0);
    for (const page of [alice, bob]) await page.getByTestId("banner").filter({ hasText: "Reconnecting" }).waitFor();
    await say(bob, "sent while the server was down");
    await message(bob, "sent while the server was down").filter({ hasText: "Sending…" }).waitFor();
    await screenshot(bob, "chat-reconnecting.png");
    server = await startOn(port, join(dir, "hubbub.db"));
    for (const page of [alice, bob]) await page.locator(".app[data-connection=connected]").waitFor({ timeout: 15_000 });
    await message(alice, "sent while the server was down").waitFor();
    await message(bob, "sent while the server was down").filter({ hasText: "Sending…" }).waitFor({ state: "detached" });
    // Sentinels: each says something once the queued message is in, and the other waits for it. A
    // second copy of the queued message, already on its way, would be shown before these.
    await say(alice, "welcome back");
    await message(bob, "welcome back").waitFor();
    await say(bob, "thanks");
    await message(alice, "thanks").waitFor();
    expect(await message(alice, "sent while the server was down").count()).toBe(1);
    expect(await message(bob, "sent while the server was down").count()).toBe(1);
    // history survived the restart: a reload shows the conversation from the store
    await bob.reload();
    await bob.locator(".app[data-connection=connected]").waitFor();
    await message(bob, "Hi Alice! How is the release going?").waitFor();
    expect(await message(bob, "welcome back").count()).toBe(1);
    expect(await message(bob, "sent while the server was down").count()).toBe(1);
  }, 40_000);
});
