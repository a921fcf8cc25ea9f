import { expect, test } from "bun:test";
import { ConfigError, DEFAULT_CONFIG, loadConfig, maskedConfig, namespaceOf } from "../src/config.ts";

test("precedence: defaults < file < environment < flags", () => {
  const c = loadConfig({
    file: { port: 1000, heartbeatMs: 5000, logLevel: "warn" },
    env: { HUBBUB_PORT: "2000", HUBBUB_HEARTBEAT_MS: "6000" },
    flags: { port: "3000" },
  });
  expect(c.port).toBe(3000);
  expect(c.heartbeatMs).toBe(6000);
  expect(c.logLevel).toBe("warn");
  expect(c.maxFrameBytes).toBe(DEFAULT_CONFIG.maxFrameBytes);
  expect(c.devMode).toBe(true);
  expect(loadConfig({ env: { HUBBUB_JWT_SECRET: "0123456789abcdef" } }).devMode).toBe(false);
});

test("bad settings are refused with a message naming the setting", () => {
  const cases: Array<[Parameters<typeof loadConfig>[0], string]> = [
    [{ flags: { port: "http" } }, "--port"],
    [{ env: { HUBBUB_PORT: "70000" } }, "port"],
    [{ file: { nope: 1 } }, "nope"],
    [{ flags: { "no-such-flag": "1" } }, "--no-such-flag"],
    [{ env: { HUBBUB_JWT_SECRET: "short" } }, "jwtSecret"],
    [{ env: { HUBBUB_JWT_ALGORITHM: "RS256" } }, "jwtPublicKey"],
    [{ env: { HUBBUB_MAX_PAYLOAD_BYTES: "999999", HUBBUB_MAX_FRAME_BYTES: "4096" } }, "maxPayloadBytes"],
    [{ env: { HUBBUB_NAMESPACES: '[{"prefix": "game:", "ephemeral": "yes"}]' } }, "namespaces[0].ephemeral"],
    [{ env: { HUBBUB_WEBHOOK_URL: "ftp://x" } }, "webhookUrl"],
    [{ env: { HUBBUB_API_KEYS: "tiny" } }, "apiKeys"],
    [{ env: { HUBBUB_LOG_LEVEL: "loud" } }, "logLevel"],
  ];
  for (const [sources, name] of cases) {
    expect(() => loadConfig(sources)).toThrow(ConfigError);
    expect(() => loadConfig(sources)).toThrow(name);
  }
});

test("namespaces: longest prefix wins and a catch-all is always present", () => {
  const c = loadConfig({ env: { HUBBUB_NAMESPACES: '[{"prefix": "game:", "ephemeral": true}, {"prefix": "game:lobby:", "maxMessages": 50}]' } });
  expect(namespaceOf(c.namespaces, "game:42").ephemeral).toBe(true);
  expect(namespaceOf(c.namespaces, "game:lobby:1")).toMatchObject({ ephemeral: false, maxMessages: 50 });
  expect(namespaceOf(c.namespaces, "team:x")).toMatchObject({ prefix: "", ephemeral: false });
});

test("the masked configuration hides secrets and, without secrets, loads back as a config file", () => {
  const secret = loadConfig({ env: { HUBBUB_JWT_SECRET: "0123456789abcdefXYZ", HUBBUB_API_KEYS: "0123456789abcdef0123" } });
  const shown = maskedConfig(secret);
  expect(JSON.stringify(shown)).not.toContain("0123456789abcdef");
  expect(shown.apiKeys).toEqual(["********"]);
  const plain = loadConfig({ flags: { port: "1234" } });
  expect(loadConfig({ file: maskedConfig(plain) })).toEqual(plain);
});
