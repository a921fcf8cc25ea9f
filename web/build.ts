/**
 * @module web/build
 * Builds the web chat app and the admin page with `Bun.build` (HTML entrypoints: Bun bundles the
 * scripts and styles they reference and rewrites the tags to hashed files under `/app/`).
 *
 * - `bun web/build.ts --json` prints `{ "<file>": { type, body } }` on stdout. The server's macro
 *   (`src/web/bundle.ts`) runs this at bundle time, so the files end up inside `dist/hubbub`.
 * - `bun web/build.ts --outdir DIR` writes the files, to look at them.
 */
import { mkdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";

/** One built file: its MIME type and its text. */
export interface WebAsset {
  type: string;
  body: string;
}

/** Public URL prefix of the hashed scripts and styles. */
export const ASSET_PREFIX = "/app/";

/** Builds the app; throws with the bundler's messages on failure. Keys are file names (`index.html`, `index-1a2b.js`, …). */
export async function buildWeb(minify = true): Promise<Record<string, WebAsset>> {
  const result = await Bun.build({
    entrypoints: [join(import.meta.dir, "index.html"), join(import.meta.dir, "admin.html")],
    target: "browser",
    minify,
    sourcemap: "none",
    publicPath: ASSET_PREFIX,
    naming: { entry: "[name].[ext]", chunk: "[name]-[hash].[ext]", asset: "[name]-[hash].[ext]" },
  });
  if (!result.success) throw new Error(`web build failed:\n${result.logs.map(String).join("\n")}`);
  const files: Record<string, WebAsset> = {};
  for (const output of result.outputs) {
    const name = output.path.replace(/^\.\//, "");
    files[name] = { type: output.type, body: await output.text() };
  }
  return files;
}

if (import.meta.main) {
  const args = process.argv.slice(2);
  const files = await buildWeb(!args.includes("--no-minify"));
  const outdir = args[args.indexOf("--outdir") + 1];
  if (args.includes("--outdir") && outdir) {
    mkdirSync(outdir, { recursive: true });
    for (const [name, file] of Object.entries(files)) writeFileSync(join(outdir, name), file.body);
    console.error(`web: wrote ${Object.keys(files).length} files to ${outdir}`);
  } else {
    process.stdout.write(JSON.stringify(files));
  }
}
