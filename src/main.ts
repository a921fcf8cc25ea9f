#!/usr/bin/env bun
/**
 * @module main
 * The `hubbub` command line: `serve`, `token`, `config check`, `--help`, `--version`.
 */
import { readFileSync } from "node:fs";
import pkg from "../package.json" with { type: "json" };
import { createTokenService } from "./auth/tokens.ts";
import { ConfigError, loadConfig, maskedConfig, SETTINGS, type Config } from "./config.ts";
import { startServer } from "./server/index.ts";

const HELP = `hubbub ${pkg.version} — realtime messaging server (chat and pub/sub)

Usage:
  hubbub serve [--config FILE] [flags]   run the server (embedded SQLite store)
  hubbub token --sub USER [--ttl 1h] [--admin] [--rooms 'team:*,ops'] [--name NAME] [--jti ID]
                                         mint a token with the configured key
  hubbub config check [FILE] [flags]     print the effective configuration, secrets masked
  hubbub --help | --version

Configuration precedence: defaults < config file (JSON, or TOML by .toml extension; keys as in
'config check' output) < environment HUBBUB_* < flags.
With no HUBBUB_JWT_SECRET and no public key, 'serve' runs in dev mode with an ephemeral secret
and prints a ready-to-use token.

Settings (flag / environment):
${Object.values(SETTINGS)
  .map((s) => `  --${s.flag.padEnd(24)} ${s.env.padEnd(30)} ${s.doc}`)
  .join("\n")}
`;

function fail(message: string): never {
  process.stderr.write(`hubbub: ${message}\n`);
  process.exit(2);
}

/** Splits `--name value` / `--name=value` pairs; boolean flags listed in `booleans`. */
function collectFlags(args: string[], booleans: Set<string> = new Set()): { flags: Record<string, string>; positionals: string[] } {
  const flags: Record<string, string> = {};
  const positionals: string[] = [];
  for (let i = 0; i < args.length; i++) {
    const arg = args[i]!;
    if (!arg.startsWith("--")) {
      positionals.push(arg);
      continue;
    }
    const eq = arg.indexOf("=");
    const name = eq > 0 ? arg.slice(2, eq) : arg.slice(2);
    if (eq > 0) flags[name] = arg.slice(eq + 1);
    else if (booleans.has(name)) flags[name] = "true";
    else {
      const value = args[++i];
      if (value === undefined) fail(`--${name} needs a value`);
      flags[name] = value;
    }
  }
  return { flags, positionals };
}

function readConfigFile(path: string | undefined): Record<string, unknown> | undefined {
  if (!path) return undefined;
  let text: string;
  try {
    text = readFileSync(path, "utf8");
  } catch (err) {
    fail(`cannot read config file ${path}: ${(err as Error).message}`);
  }
  const toml = path.endsWith(".toml");
  let value: unknown;
  try {
    value = toml ? Bun.TOML.parse(text) : JSON.parse(text);
  } catch (err) {
    fail(`config file ${path}: invalid ${toml ? "TOML" : "JSON"} (${(err as Error).message})`);
  }
  if (value === null || typeof value !== "object" || Array.isArray(value)) fail(`config file ${path}: must be a ${toml ? "TOML table" : "JSON object"}`);
  return value as Record<string, unknown>;
}

function buildConfig(flags: Record<string, string>, file?: string): Config {
  const { config: _ignored, ...rest } = flags;
  try {
    return loadConfig({ file: readConfigFile(file ?? flags.config), env: process.env, flags: rest });
  } catch (err) {
    if (err instanceof ConfigError) fail(err.message);
    throw err;
  }
}

/** Parses durations like `90`, `30s`, `15m`, `1h`, `7d` into seconds. */
export function parseDuration(text: string): number {
  const match = /^(\d+)\s*([smhd]?)$/.exec(text.trim());
  if (!match) fail(`--ttl: "${text}" is not a duration like 30s, 15m, 1h, 7d`);
  const unit = { "": 1, s: 1, m: 60, h: 3600, d: 86400 }[match[2] as "" | "s" | "m" | "h" | "d"];
  return Number(match[1]) * unit;
}

async function serve(args: string[]): Promise<void> {
  const { flags } = collectFlags(args);
  let config = buildConfig(flags);
  if (config.devMode) {
    const secret = Array.from(crypto.getRandomValues(new Uint8Array(32)), (b) => b.toString(16).padStart(2, "0")).join("");
    config = { ...config, jwtSecret: secret };
  }
  const server = await startServer(config);
  const banner = [`hubbub ${pkg.version} listening on ${server.url} (WebSocket ${server.wsUrl}, store ${config.dataPath}, durability ${config.durability})`];
  if (config.devMode) {
    const token = await server.node.tokens.mint({ sub: "dev", ttlSeconds: 24 * 3600, role: "admin" });
    banner.push(
      "",
      "*** DEV MODE: no HUBBUB_JWT_SECRET set; using an ephemeral secret. Do not use in production. ***",
      `dev token (user "dev", admin, 24h): ${token}`,
      `connect: ${server.wsUrl}?token=${token}`,
    );
  }
  let stopping = false;
  const stop = (signal: string) => {
    if (stopping) return;
    stopping = true;
    server.node.log.info("shutting down", { signal, drainMs: config.shutdownDrainMs, sessions: server.node.sessions.size });
    setTimeout(() => {
      server.node.log.error("shutdown timed out", { timeoutMs: config.shutdownTimeoutMs });
      process.exit(1);
    }, config.shutdownTimeoutMs).unref();
    server.stop().then(
      () => process.exit(0),
      (err) => {
        server.node.log.error("shutdown failed", { err });
        process.exit(1);
      },
    );
  };
  process.on("SIGTERM", () => stop("SIGTERM"));
  process.on("SIGINT", () => stop("SIGINT"));
  // Printed last: once a supervisor sees the listening line, SIGTERM drains instead of killing.
  process.stdout.write(banner.join("\n") + "\n");
}

async function token(args: string[]): Promise<void> {
  const { flags } = collectFlags(args, new Set(["admin"]));
  const { sub, ttl, admin, rooms, name, jti, config: file, ...settings } = flags;
  if (!sub) fail("token: --sub USER is required");
  const config = buildConfig(settings, file);
  if (config.devMode) fail("token: no key configured (set HUBBUB_JWT_SECRET or --jwt-secret); a dev-mode server prints its own token");
  const tokens = await createTokenService(config);
  if (!tokens.canMint) fail(`token: minting ${config.jwtAlgorithm} tokens needs --jwt-private-key`);
  const minted = await tokens.mint({
    sub,
    ttlSeconds: ttl ? parseDuration(ttl) : 3600,
    role: admin === "true" ? "admin" : undefined,
    rooms: rooms ? rooms.split(",").map((r) => r.trim()).filter(Boolean) : undefined,
    name,
    jti,
  });
  process.stdout.write(minted + "\n");
}

function configCheck(args: string[]): void {
  const { flags, positionals } = collectFlags(args);
  const config = buildConfig(flags, positionals[0]);
  process.stdout.write(JSON.stringify(maskedConfig(config), null, 2) + "\n");
  if (config.devMode) process.stderr.write("note: no JWT key configured: 'serve' would run in dev mode\n");
}

async function main(argv: string[]): Promise<void> {
  const [command, ...rest] = argv;
  if (!command || command === "--help" || command === "-h" || command === "help") {
    process.stdout.write(HELP);
    return;
  }
  if (command === "--version" || command === "-v") {
    process.stdout.write(`${pkg.version}\n`);
    return;
  }
  if (rest.includes("--help")) {
    process.stdout.write(HELP);
    return;
  }
  switch (command) {
    case "serve":
      return serve(rest);
    case "token":
      return token(rest);
    case "config":
      if (rest[0] !== "check") fail("usage: hubbub config check [FILE]");
      return configCheck(rest.slice(1));
    default:
      fail(`unknown command "${command}" (see hubbub --help)`);
  }
}

if (import.meta.main) {
  main(process.argv.slice(2)).catch((err) => {
    process.stderr.write(`hubbub: ${err instanceof Error ? err.message : String(err)}\n`);
    process.exit(1);
  });
}
