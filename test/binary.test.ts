import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { FrameType, type MessageFrame } from "../proto/index.ts";
import { TestClient } from "./helpers/client.ts";
import { ensureBinary, runBinary, runCommand, type RunningBinary } from "./helpers/binary.ts";

const SECRET = "binary-test-secret-0123456789";

describe("the compiled binary", () => {
  beforeAll(() => ensureBinary(), 120_000);

  test("--version and --help", async () => {
    const version = await runCommand(["--version"]);
    expect(version.code).toBe(0);
    expect(version.stdout.trim()).toMatch(/^\d+\.\d+\.\d+$/);
    const help = await runCommand(["--help"]);
    expect(help.stdout).toContain("hubbub serve");
    expect(help.stdout).toContain("HUBBUB_JWT_SECRET");
  });

  test("bad configuration is refused with a message naming the setting", async () => {
    const result = await runCommand(["serve", "--heartbeat-ms", "soon"]);
    expect(result.code).toBe(2);
    expect(result.stderr).toContain("--heartbeat-ms");
    const unknown = await runCommand(["serve", "--no-such-flag", "1"]);
    expect(unknown.stderr).toContain("--no-such-flag");
  });

  describe("serving", () => {
    let server: RunningBinary;
    beforeAll(async () => {
      server = await runBinary({ HUBBUB_JWT_SECRET: SECRET });
    });
    afterAll(() => server?.proc.kill());

    test("accepts tokens from `hubbub token` and relays a message", async () => {
      const mint = async (sub: string) => {
        const r = await runCommand(["token", "--sub", sub, "--ttl", "10m", "--rooms", "team:*"], { HUBBUB_JWT_SECRET: SECRET });
        expect(r.code).toBe(0);
        return r.stdout.trim();
      };
      const alice = await TestClient.connect(server.wsUrl, await mint("alice"));
      const bob = await TestClient.connect(server.wsUrl, await mint("bob"));
      await alice.request({ type: FrameType.Join, room: "team:core" });
      await bob.request({ type: FrameType.Join, room: "team:core" });
      await alice.request({ type: FrameType.Publish, room: "team:core", payload: "hello from the binary" });
      const m = (await bob.next((f) => f.type === FrameType.Message)) as MessageFrame;
      expect(m).toMatchObject({ from: "alice", payload: "hello from the binary" });
      alice.close();
      bob.close();
    });

    test("a second server on the same data file refuses to start", async () => {
      const second = await runCommand(["serve", "--port", "0", "--host", "127.0.0.1", "--data", server.dataPath], { HUBBUB_JWT_SECRET: SECRET });
      expect(second.code).not.toBe(0);
      expect(second.stderr).toContain("in use by another process");
    });

    test("health endpoints answer", async () => {
      expect((await fetch(`${server.url}/healthz`)).status).toBe(200);
      expect((await fetch(`${server.url}/readyz`)).status).toBe(200);
    });
  });

  test("dev mode prints a working token", async () => {
    const dev = await runBinary({});
    try {
      expect(dev.banner).toContain("DEV MODE");
      const token = /dev token[^:]*: (\S+)/.exec(dev.banner)![1]!;
      const client = await TestClient.connect(dev.wsUrl, token);
      expect(client.hello.user).toBe("dev");
      client.close();
    } finally {
      dev.proc.kill();
    }
  });
});
