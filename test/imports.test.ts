/**
 * The module graph of `src/` and `proto/` has no cycle, counting `import type` too: a module that
 * needs the node depends on an interface (node/context.ts), not on the class that depends on it.
 */
import { expect, test } from "bun:test";
import { Glob } from "bun";
import { dirname, join, relative, resolve } from "node:path";

const ROOT = join(import.meta.dir, "..");

/** Relative imports and re-exports of a TypeScript file (static ones; `import type` included). */
export function relativeImports(source: string): string[] {
  const found: string[] = [];
  for (const m of source.matchAll(/^\s*(?:import|export)\s[^;]*?\sfrom\s+"(\.{1,2}\/[^"]+)"/gm)) found.push(m[1]!);
  for (const m of source.matchAll(/^\s*import\s+"(\.{1,2}\/[^"]+)"/gm)) found.push(m[1]!);
  return found;
}

/** Every cycle reachable in `graph`, each as the path that closes it. */
export function findCycles(graph: Map<string, string[]>): string[][] {
  const cycles: string[][] = [];
  const state = new Map<string, "open" | "done">();
  const stack: string[] = [];
  const visit = (node: string): void => {
    state.set(node, "open");
    stack.push(node);
    for (const next of graph.get(node) ?? []) {
      if (state.get(next) === "open") cycles.push([...stack.slice(stack.indexOf(next)), next]);
      else if (!state.has(next)) visit(next);
    }
    stack.pop();
    state.set(node, "done");
  };
  for (const node of graph.keys()) if (!state.has(node)) visit(node);
  return cycles;
}

async function moduleGraph(folders: string[]): Promise<Map<string, string[]>> {
  const graph = new Map<string, string[]>();
  for (const folder of folders) {
    for (const file of new Glob("**/*.ts").scanSync(join(ROOT, folder))) {
      const path = resolve(ROOT, folder, file);
      const imports = relativeImports(await Bun.file(path).text()).map((spec) => resolve(dirname(path), spec));
      graph.set(relative(ROOT, path), imports.map((p) => relative(ROOT, p)));
    }
  }
  return graph;
}

test("src/ and proto/ have no import cycle (type imports included)", async () => {
  const graph = await moduleGraph(["src", "proto"]);
  expect(graph.size).toBeGreaterThan(40);
  expect(findCycles(graph).map((c) => c.join(" -> "))).toEqual([]);
});

test("the cycle finder finds a cycle, including one through a type import", () => {
  const sources: Record<string, string> = {
    "a.ts": 'import { b } from "./b.ts";',
    "b.ts": 'import type { C } from "./c.ts";\nexport const b = 1;',
    "c.ts": 'export { a } from "./a.ts";',
  };
  const graph = new Map(Object.entries(sources).map(([file, text]) => [file, relativeImports(text).map((s) => s.slice(2))]));
  expect(findCycles(graph)).toEqual([["a.ts", "b.ts", "c.ts", "a.ts"]]);
});
