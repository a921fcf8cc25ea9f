/**
 * @module web/bundle
 * A Bun **macro**: imported `with { type: "macro" }`, {@link bundleWebApp} runs when the importing
 * file is bundled or transpiled — by `bun build --compile` (so the built app is inlined into
 * `dist/hubbub` and the binary needs no files beside it) and by `bun run`/`bun test` from source
 * (so the app is always built from the current `web/` sources; no separate build step).
 *
 * `Bun.build` cannot run inside a macro while the bundler waits for it, so the build runs in a
 * child `bun` process (`web/build.ts --json`) and its output comes back as JSON.
 */
import { join } from "node:path";

/** One built file of the web app. */
export interface WebAsset {
  type: string;
  body: string;
}

/** Builds `web/` and returns its files by name (`index.html`, `admin.html`, hashed `.js`/`.css`). */
export function bundleWebApp(): Record<string, WebAsset> {
  const script = join(import.meta.dir, "..", "..", "web", "build.ts");
  const proc = Bun.spawnSync([process.execPath, script, "--json"], { env: { ...process.env, BUN_BE_BUN: "1" }, stdout: "pipe", stderr: "pipe" });
  if (proc.exitCode !== 0) throw new Error(`building the web app failed (${script}):\n${proc.stderr.toString()}`);
  return JSON.parse(proc.stdout.toString()) as Record<string, WebAsset>;
}
