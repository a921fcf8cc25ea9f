/**
 * The compiled binary serves the web app from inside itself: it runs in an empty directory, and a
 * browser signs in (dev mode) and chats.
 */
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import type { Browser } from "playwright-core";
import { ensureBinary, runBinary, type RunningBinary } from "../helpers/binary.ts";
import { browserAvailable, launch, signIn } from "./helpers.ts";

const run = browserAvailable();

describe.skipIf(!run)("the web app from dist/hubbub", () => {
  let binary: RunningBinary;
  let browser: Browser;

  beforeAll(async () => {
    await ensureBinary();
    binary = await runBinary({}); // no secret: dev mode; cwd is an empty temporary directory
    browser = await launch();
  }, 120_000);

  afterAll(async () => {
    await browser?.close();
    binary?.proc.kill();
  });

  test("loads, signs in with a name and sends a message", async () => {
    const page = await (await browser.newContext()).newPage();
    page.setDefaultTimeout(10_000);
    const errors: string[] = [];
    page.on("pageerror", (error) => errors.push(String(error)));
    const response = await page.goto(binary.url);
    expect(response?.headers()["content-security-policy"]).toContain("default-src 'self'");
    await signIn(page, binary.url, "dana");
    await page.locator("#composer").fill("served by the single binary");
    await page.keyboard.press("Enter");
    await page.locator(".messages .msg", { hasText: "served by the single binary" }).filter({ hasNotText: "Sending" }).waitFor();
    expect(errors).toEqual([]);
    const admin = await page.goto(`${binary.url}/admin`);
    expect(admin?.status()).toBe(200);
  }, 30_000);
});
