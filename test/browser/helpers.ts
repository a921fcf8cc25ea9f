/**
 * Browser-test helpers: Debian's Chromium driven by playwright-core (no browser download).
 * Without Chromium the tests skip with a loud message, except under CI=true, where they fail.
 */
import { existsSync, mkdirSync } from "node:fs";
import { join } from "node:path";
import { chromium, type Browser, type Page } from "playwright-core";

export const CHROMIUM = process.env.HUBBUB_CHROMIUM ?? "/usr/bin/chromium";
export const ARTIFACTS = join(import.meta.dir, "..", "..", "test-artifacts");

/** True when the browser tests can run; prints why not (or throws under CI) otherwise. */
export function browserAvailable(): boolean {
  if (existsSync(CHROMIUM)) return true;
  const message = `Chromium not found at ${CHROMIUM}: install it with 'apt-get install -y chromium' (or set HUBBUB_CHROMIUM).`;
  if (process.env.CI === "true" || process.env.CI === "1") throw new Error(`browser tests cannot run under CI: ${message}`);
  console.warn(`\n${"!".repeat(100)}\n!!! SKIPPING THE BROWSER TESTS. ${message}\n${"!".repeat(100)}\n`);
  return false;
}

export function launch(): Promise<Browser> {
  return chromium.launch({
    executablePath: CHROMIUM,
    args: ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update", "--disable-sync", "--no-first-run", "--headless"],
  });
}

/** Signs in on the chat app at `url` with a dev-mode name and waits for the chat screen. */
export async function signIn(page: Page, url: string, name: string): Promise<void> {
  await page.goto(url);
  await page.getByLabel("Your name").fill(name);
  await page.getByRole("button", { name: "Continue" }).click();
  await page.locator(".app[data-connection=connected]").waitFor();
}

/** Saves a screenshot under test-artifacts/ and returns its path. */
export async function screenshot(page: Page, name: string): Promise<string> {
  mkdirSync(ARTIFACTS, { recursive: true });
  const path = join(ARTIFACTS, name);
  await page.screenshot({ path });
  return path;
}
