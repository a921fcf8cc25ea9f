/** proto/ is standalone: it imports nothing but itself and @msgpack/msgpack, and uses no runtime-specific globals. */
import { expect, test } from "bun:test";
import { Glob } from "bun";
import { dirname, join, relative, resolve } from "node:path";

const PROTO = resolve(import.meta.dir, "../../proto");
const files = [...new Glob("**/*.ts").scanSync(PROTO)].sort();

/** Specifiers of every import/export-from/dynamic import/require in `source`. */
function specifiers(source: string): string[] {
  const out: string[] = [];
  const patterns = [
    /^\s*import\s+(?:type\s+)?(?:[\w*{}\s,$]+\s+from\s+)?["']([^"']+)["']/gm,
    /^\s*export\s+(?:type\s+)?(?:\*(?:\s+as\s+\w+)?|\{[^}]*\})\s+from\s+["']([^"']+)["']/gm,
    /\bimport\s*\(\s*["'`]([^"'`]+)["'`]\s*\)/g,
    /\brequire\s*\(\s*["'`]([^"'`]+)["'`]\s*\)/g,
  ];
  for (const pattern of patterns) for (const match of source.matchAll(pattern)) out.push(match[1]!);
  return out;
}

function stripComments(source: string): string {
  return source.replace(/\/\*[\s\S]*?\*\//g, "").replace(/(^|[^:\\])\/\/.*$/gm, "$1");
}

test("proto/ has TypeScript files to check", () => {
  expect(files).toContain("index.ts");
  expect(files.length).toBeGreaterThan(5);
});

for (const file of files) {
  test(`${file} imports only proto/ files and @msgpack/msgpack`, async () => {
    const source = await Bun.file(join(PROTO, file)).text();
    const specs = specifiers(source);
    const importLines = source.split("\n").filter((line) => /^\s*(import|export)\b.*\bfrom\b/.test(line) || /^\s*import\s+["']/.test(line));
    expect(specs.length).toBeGreaterThanOrEqual(importLines.length);
    for (const spec of specs) {
      if (spec === "@msgpack/msgpack") continue;
      expect(spec.startsWith("./") || spec.startsWith("../")).toBe(true);
      const target = resolve(dirname(join(PROTO, file)), spec);
      expect(relative(PROTO, target).startsWith("..")).toBe(false);
      expect(target.endsWith(".ts")).toBe(true);
    }
  });

  test(`${file} uses no Node, Bun or Deno globals`, async () => {
    const code = stripComments(await Bun.file(join(PROTO, file)).text());
    for (const banned of [/\bBuffer\b/, /\bBun\b/, /\bDeno\b/, /\bprocess\./, /\bglobalThis\.process\b/, /\bnode:/, /\b__dirname\b/]) {
      expect(code).not.toMatch(banned);
    }
  });
}

test("proto/index.ts bundles for the browser, importing at most @msgpack/msgpack", async () => {
  const result = await Bun.build({ entrypoints: [join(PROTO, "index.ts")], target: "browser", external: ["@msgpack/msgpack"] });
  expect(result.success).toBe(true);
  const code = await result.outputs[0]!.text();
  const imports = [...code.matchAll(/from\s*["']([^"']+)["']/g)].map((m) => m[1]);
  for (const spec of imports) expect(spec).toBe("@msgpack/msgpack");
});
