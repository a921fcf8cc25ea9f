/**
 * The admin page (API key → live stats, rooms, users online, kick) and the chat on a phone-sized
 * screen, in Chromium.
 */
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import type { Browser, Page } from "playwright-core";
import { startTestServer, type TestServer } from "../helpers/server.ts";
import { browserAvailable, launch, screenshot, signIn } from "./helpers.ts";

const run = browserAvailable();
const API_KEY = "browser-test-api-key-0123456789";

describe.skipIf(!run)("admin page and small screens in Chromium", () => {
  let server: TestServer;
  let browser: Browser;
  let carol: Page;
  let admin: Page;

  beforeAll(async () => {
    server = await startTestServer({ devMode: true, apiKeys: [API_KEY] });
    browser = await launch();
    carol = await (await browser.newContext({ viewport: { width: 390, height: 760 }, isMobile: true, hasTouch: true })).newPage();
    admin = await (await browser.newContext({ viewport: { width: 1200, height: 760 } })).newPage();
    for (const page of [carol, admin]) {
      page.setDefaultTimeout(10_000);
      page.on("pageerror", (error) => console.error("page error:", error));
    }
  }, 30_000);

  afterAll(async () => {
    await browser?.close();
    await server?.stop(0);
  });

  test("on a phone the channel list slides in from a button, and the chat fills the screen", async () => {
    await signIn(carol, server.url, "carol");
    await carol.locator("#composer").fill("Hello from a small screen");
    await carol.keyboard.press("Enter");
    await carol.locator(".messages .msg", { hasText: "Hello from a small screen" }).filter({ hasNotText: "Sending" }).waitFor();
    expect(await carol.locator(".sidebar").boundingBox()).toMatchObject({ x: expect.any(Number) });
    expect((await carol.locator(".sidebar").boundingBox())!.x).toBeLessThan(0); // off screen
    await screenshot(carol, "chat-mobile.png");
    await carol.getByRole("button", { name: "Channels" }).click();
    await carol.waitForFunction(() => document.querySelector(".sidebar")!.getBoundingClientRect().x >= 0);
    await screenshot(carol, "chat-mobile-channels.png");
    await carol.locator('[data-channel="public:random"]').click(); // choosing a channel closes the list
    await carol.locator(".channel-title", { hasText: "random" }).waitFor();
    await carol.waitForFunction(() => document.querySelector(".sidebar")!.getBoundingClientRect().right <= 0);
  }, 30_000);

  test("the admin page shows live figures and users, and kicks a user for good", async () => {
    await admin.goto(`${server.url}/admin`);
    await admin.getByLabel("API key").fill("wrong-key-0123456789");
    await admin.getByRole("button", { name: "Open dashboard" }).click();
    await admin.getByRole("alert").filter({ hasText: "refused" }).waitFor();
    await admin.getByLabel("API key").fill(API_KEY);
    await admin.getByRole("button", { name: "Open dashboard" }).click();
    await admin.getByTestId("Connections").filter({ hasText: "1" }).waitFor();
    await admin.locator("tr[data-user=carol]").waitFor();
    await admin.locator("td", { hasText: "public:random" }).waitFor();
    for (let i = 0; i < 5; i++) {
      await carol.locator("#composer").fill(`message ${i}`);
      await carol.keyboard.press("Enter");
    }
    await admin.waitForFunction(() => Number(document.querySelector('[data-testid="Messages / s"]')?.textContent) > 0, undefined, { timeout: 10_000 });
    await screenshot(admin, "admin.png");
    await admin.locator("tr[data-user=carol]").getByRole("button", { name: "Kick" }).click();
    await carol.getByTestId("banner").filter({ hasText: "Disconnected: kicked (4503)" }).waitFor();
    await carol.waitForTimeout(300);
    expect(server.node.sessionsOf("carol").size).toBe(0); // the app did not reconnect
    await admin.locator("tr[data-user=carol]").waitFor({ state: "detached" });
  }, 30_000);
});
