/**
 * The `durability` setting: `process` (default) runs the SQLite store with synchronous=NORMAL,
 * `power` with synchronous=FULL; `config check` and the startup banner show which one is in force.
 */
import { beforeAll, describe, expect, test } from "bun:test";
import { join } from "node:path";
import type { SqliteStore } from "../../src/store/sqlite.ts";
import { ensureBinary, runBinary, runCommand, tempDir } from "../helpers/binary.ts";
import { startTestServer } from "../helpers/server.ts";

const SECRET = "durability-test-secret-0123456789";

describe("durability setting", () => {
  beforeAll(() => ensureBinary(), 120_000);

  test("`config check` shows it: process by default, power from a flag or the environment; anything else is refused", async () => {
    const shown = async (args: string[], env: Record<string, string> = {}) => {
      const result = await runCommand(["config", "check", ...args], { HUBBUB_JWT_SECRET: SECRET, ...env });
      expect(result.code).toBe(0);
      return (JSON.parse(result.stdout) as { durability: string }).durability;
    };
    expect(await shown([])).toBe("process");
    expect(await shown(["--durability", "power"])).toBe("power");
    expect(await shown([], { HUBBUB_DURABILITY: "power" })).toBe("power");
    const bad = await runCommand(["config", "check", "--durability", "disk"], { HUBBUB_JWT_SECRET: SECRET });
    expect(bad.code).toBe(2);
    expect(bad.stderr).toContain("durability: must be process or power");
  });

  test("the startup banner names it", async () => {
    for (const durability of ["process", "power"]) {
      const server = await runBinary({ HUBBUB_JWT_SECRET: SECRET, HUBBUB_DURABILITY: durability });
      try {
        expect(server.banner).toContain(`store ./data/hubbub.db, durability ${durability})`);
      } finally {
        server.proc.kill("SIGKILL");
        await server.proc.exited;
      }
    }
  });

  test("the server's SQLite connection runs synchronous=FULL under power and NORMAL under process", async () => {
    for (const [durability, synchronous] of [["power", 2], ["process", 1]] as const) {
      await using server = await startTestServer({ dataPath: join(tempDir(), "hubbub.db"), durability });
      const db = (server.node.store as SqliteStore).database;
      expect(db.query("PRAGMA synchronous").values()).toEqual([[synchronous]]);
      expect(db.query("PRAGMA journal_mode").values()).toEqual([["wal"]]);
    }
  });
});
