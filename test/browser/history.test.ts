/**
 * Joining a room from the keyboard, and scrolling back through its history page by page.
 */
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import type { Browser, Page } from "playwright-core";
import { HubbubClient } from "../../client/index.ts";
import { startTestServer, type TestServer } from "../helpers/server.ts";
import { browserAvailable, launch, signIn } from "./helpers.ts";

const run = browserAvailable();
const TOTAL = 130;

describe.skipIf(!run)("history in Chromium", () => {
  let server: TestServer;
  let browser: Browser;
  let page: Page;

  beforeAll(async () => {
    server = await startTestServer({ devMode: true });
    const writer = new HubbubClient({ url: server.wsUrl, token: () => server.token("writer") });
    await writer.connect();
    for (let i = 1; i <= TOTAL; i++) await writer.publish("public:archive", { text: `archived message ${i}` });
    writer.close();
    browser = await launch();
    page = await (await browser.newContext({ viewport: { width: 1100, height: 700 } })).newPage();
    page.setDefaultTimeout(10_000);
  }, 30_000);

  afterAll(async () => {
    await browser?.close();
    await server?.stop(0);
  });

  test("join a room with the keyboard, then scroll back to its first message", async () => {
    await signIn(page, server.url, "erin");
    await page.getByRole("button", { name: "Join a room" }).focus();
    await page.keyboard.press("Enter");
    await page.keyboard.type("archive");
    await page.keyboard.press("Enter");
    await page.locator(".channel-title", { hasText: "archive" }).waitFor();
    await page.locator(".messages .msg", { hasText: `archived message ${TOTAL}` }).waitFor();
    expect(await page.locator(".messages .msg").count()).toBe(50); // one page
    expect(await page.evaluate(() => document.activeElement?.id)).toBe("composer"); // ready to type
    for (let i = 0; i < 10 && (await page.locator(".older", { hasText: "beginning of the conversation" }).count()) === 0; i++) {
      await page.locator(".scroller").evaluate((element) => (element.scrollTop = 0));
      await page.waitForTimeout(150);
    }
    await page.locator(".messages .msg", { hasText: /archived message 1$/ }).waitFor();
    expect(await page.locator(".messages .msg").count()).toBe(TOTAL);
    const texts = await page.locator(".messages .msg .msg-text").allTextContents();
    expect(texts).toEqual(Array.from({ length: TOTAL }, (_, i) => `archived message ${i + 1}`));
  }, 30_000);
});
