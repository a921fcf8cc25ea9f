/**
 * Outside dev mode there is no token endpoint: the app asks for a token, and signing out forgets it.
 */
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import type { Browser } from "playwright-core";
import { startTestServer, type TestServer } from "../helpers/server.ts";
import { browserAvailable, launch } from "./helpers.ts";

const run = browserAvailable();

describe.skipIf(!run)("signing in with a token in Chromium", () => {
  let server: TestServer;
  let browser: Browser;

  beforeAll(async () => {
    server = await startTestServer(); // a secret is configured: not dev mode
    browser = await launch();
  }, 30_000);

  afterAll(async () => {
    await browser?.close();
    await server?.stop(0);
  });

  test("the dev token endpoint does not exist; a pasted token signs in; sign out returns to the form", async () => {
    expect((await fetch(`${server.url}/dev/token`, { method: "POST", body: "{}" })).status).toBe(404);
    const page = await (await browser.newContext()).newPage();
    page.setDefaultTimeout(10_000);
    await page.goto(server.url);
    await page.getByLabel("Access token").fill("not-a-token");
    await page.getByRole("button", { name: "Continue" }).click();
    await page.getByRole("alert").filter({ hasText: "does not look like a Hubbub token" }).waitFor();
    await page.getByLabel("Access token").fill(await server.token("frank"));
    await page.getByRole("button", { name: "Continue" }).click();
    await page.locator(".app[data-connection=connected]").waitFor();
    expect(await page.getByTestId("me").textContent()).toBe("frank");
    await page.reload(); // remembered
    await page.locator(".app[data-connection=connected]").waitFor();
    await page.getByRole("button", { name: "Sign out" }).click();
    await page.getByLabel("Access token").waitFor();
    await page.waitForTimeout(100);
    expect(server.node.sessionsOf("frank").size).toBe(0);
  }, 30_000);
});
