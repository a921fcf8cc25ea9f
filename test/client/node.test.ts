import { expect, test } from "bun:test";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { startTestServer } from "../helpers/server.ts";

/** `node` with a global WebSocket (built in from Node 22; behind a flag on 20–21), or undefined. */
function nodeWithWebSocket(): string[] | undefined {
  const node = Bun.which("node");
  if (!node) return undefined;
  for (const flags of [[], ["--experimental-websocket"]]) {
    const probe = Bun.spawnSync([node, ...flags, "-e", "process.stdout.write(typeof WebSocket)"]);
    if (probe.exitCode === 0 && probe.stdout.toString() === "function") return [node, ...flags];
  }
  return undefined;
}

const node = nodeWithWebSocket();

test.skipIf(!node)("the SDK, bundled for Node, connects, joins, publishes and receives under Node", async () => {
  await using server = await startTestServer();
  const dir = mkdtempSync(join(tmpdir(), "hubbub-node-"));
  try {
    const built = await Bun.build({ entrypoints: [join(import.meta.dir, "../../client/index.ts")], target: "node", format: "esm", outdir: dir });
    expect(built.success).toBe(true);
    const script = join(dir, "run.mjs");
    writeFileSync(
      script,
      `import { HubbubClient } from "./index.js";
const client = new HubbubClient({ url: process.argv[2], token: process.argv[3], WebSocket: globalThis.WebSocket });
const got = new Promise((resolve) => client.on("message", (m) => resolve(m)));
const hello = await client.connect();
await client.join("public:node");
const sent = await client.publish("public:node", { text: "from node " + process.version });
const message = await got;
console.log(JSON.stringify({ user: hello.user, offset: sent.offset, text: message.payload.text }));
client.close();
`,
    );
    const proc = Bun.spawn([...node!, script, server.wsUrl, await server.token("noddy")], { stdout: "pipe", stderr: "pipe" });
    const [out, err, code] = await Promise.all([new Response(proc.stdout).text(), new Response(proc.stderr).text(), proc.exited]);
    expect(err.replace(/.*ExperimentalWarning.*\n?|.*--trace-warnings.*\n?/g, "")).toBe("");
    expect(code).toBe(0);
    const result = JSON.parse(out.trim());
    expect(result).toMatchObject({ user: "noddy", offset: 1 });
    expect(result.text).toStartWith("from node v");
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}, 20_000);
