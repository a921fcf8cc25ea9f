/**
 * @module config
 * Hubbub's configuration: one typed object with defaults, built from (lowest to highest precedence)
 * built-in defaults < config file (JSON or TOML) < environment `HUBBUB_*` < command-line flags, and
 * validated with messages that name the setting and say what is wrong.
 */

/** Where a room namespace keeps its history. Namespaces are matched by longest prefix of the room name. */
export interface NamespaceRule {
  /** Room-name prefix, e.g. `game:`; `""` matches every room. */
  prefix: string;
  /** No history, no recovery: messages are only fanned out (high-rate game or sensor streams). */
  ephemeral: boolean;
  /** Keep at most this many messages per room (0 = unlimited). */
  maxMessages: number;
  /** Keep messages at most this long, ms (0 = unlimited). */
  maxAgeMs: number;
}

export interface Config {
  /** Interface to listen on. */
  host: string;
  /** TCP port; 0 picks a free one. */
  port: number;
  /** HS256 shared secret. Empty with no public key = dev mode (ephemeral secret). */
  jwtSecret: string;
  /** PEM public key (SPKI) for RS256/ES256 verification; set together with `jwtAlgorithm`. */
  jwtPublicKey: string;
  /** PEM private key (PKCS#8) to mint RS256/ES256 tokens with `hubbub token`; optional. */
  jwtPrivateKey: string;
  jwtAlgorithm: "HS256" | "RS256" | "ES256";
  /** Allowed `Origin` values for WebSocket upgrades (exact origins or `*`); empty = same host and localhost. */
  allowedOrigins: string[];
  /** The client must send something at least this often, ms; dead connections close after 1.5× this. */
  heartbeatMs: number;
  /** Largest WebSocket message accepted, bytes (larger: close 1009). */
  maxFrameBytes: number;
  /** Largest encoded payload of a message, bytes (larger: reply 413). */
  maxPayloadBytes: number;
  maxRoomsPerSession: number;
  maxSessionsPerUser: number;
  maxConnections: number;
  /**
   * Token-bucket refill per user (shared by the user's sessions on this node), tokens per second.
   * A frame takes one token; expensive requests and large messages take more (node/costs.ts).
   */
  ratePerSecond: number;
  /** Token-bucket size per user, tokens. */
  rateBurst: number;
  /**
   * Store-backed requests (HISTORY, JOIN, UNREAD, READ, EDIT, RECALL) one session may have in
   * flight; one more is answered 429 at once.
   */
  maxPendingRequests: number;
  /** Consecutive rate-limited frames before the session is closed (4003). */
  rateMaxStrikes: number;
  /** Buffered outgoing bytes per session before it is closed as a slow consumer (4001). */
  slowConsumerBytes: number;
  /** Ask for a token refresh this long before `exp`, ms. */
  tokenRefreshLeadMs: number;
  /** SQLite file for durable messages; `:memory:` keeps them in memory only. */
  dataPath: string;
  /**
   * What an acknowledged message survives (SQLite store in WAL mode; nothing with `:memory:`):
   * - `process` (synchronous=NORMAL): a crash or SIGKILL of the server process. An OS crash or
   *   power loss can roll back the messages acknowledged since the last WAL checkpoint (the newest
   *   ones; the file stays consistent).
   * - `power` (synchronous=FULL): also an OS crash or power loss, provided the storage honours
   *   fsync; costs one fsync of the WAL per commit (per group-commit batch).
   */
  durability: "process" | "power";
  /** Room namespaces with retention and ephemeral settings. */
  namespaces: NamespaceRule[];
  /** Direct-message inbox retention. */
  inboxMaxMessages: number;
  inboxMaxAgeMs: number;
  /** A resend with the same client message id within this window returns the original reply, ms. */
  idempotencyWindowMs: number;
  /** Senders may recall/edit their messages within this window, ms (admins always). */
  editWindowMs: number;
  /** Most missed messages returned by a recovering JOIN; more → `recovered: false, reason: too_many`. */
  recoveryMaxMessages: number;
  /** Group-commit tick: a publish is acknowledged after the batch it is in is durable, ms. */
  commitIntervalMs: number;
  /** Keys that authenticate the server HTTP API (`/api`); empty = the API refuses every request. */
  apiKeys: string[];
  /** Largest HTTP API request body, bytes (larger: 413). */
  maxApiBodyBytes: number;
  /** Webhook receiver URL; empty = no webhooks. */
  webhookUrl: string;
  /** HMAC-SHA256 key for the `Hubbub-Signature` header; required with `webhookUrl`. */
  webhookSecret: string;
  /** A user is reported offline only if no session returns within this grace period, ms. */
  webhookOfflineGraceMs: number;
  /** Most webhook events waiting; beyond it the oldest are dropped. */
  webhookQueueMax: number;
  /**
   * Most bytes of webhook request bodies queued (waiting for a first attempt or a retry); beyond it
   * the oldest events are dropped. One user's events may take at most 1/8 of it (and of
   * webhookQueueMax); beyond that share, that user's own oldest events are dropped.
   */
  webhookQueueBytes: number;
  /**
   * `message.offline` events carry the message payload only when this is > 0 and the payload's
   * msgpack encoding is at most this many bytes; a larger payload is left out and the event marked
   * `truncated: true`. 0 = metadata only (`id, from, to, time, size`).
   */
  webhookPayloadBytes: number;
  /** Attempts per event before it is given up. */
  webhookMaxAttempts: number;
  webhookTimeoutMs: number;
  /** On SIGTERM, clients are told to reconnect spread over this window, ms. */
  shutdownDrainMs: number;
  /** Shutdown finishes (and the process exits) within this time, ms. */
  shutdownTimeoutMs: number;
  /** Logging threshold. */
  logLevel: "debug" | "info" | "warn" | "error" | "silent";
  /** True when no key was configured: an ephemeral secret is generated and dev helpers are on. */
  devMode: boolean;
}

export const DEFAULT_CONFIG: Readonly<Config> = {
  host: "0.0.0.0",
  port: 8080,
  jwtSecret: "",
  jwtPublicKey: "",
  jwtPrivateKey: "",
  jwtAlgorithm: "HS256",
  allowedOrigins: [],
  heartbeatMs: 25_000,
  maxFrameBytes: 256 * 1024,
  maxPayloadBytes: 64 * 1024,
  maxRoomsPerSession: 100,
  maxSessionsPerUser: 10,
  maxConnections: 19_000,
  ratePerSecond: 100,
  rateBurst: 200,
  maxPendingRequests: 8,
  rateMaxStrikes: 100,
  slowConsumerBytes: 4 * 1024 * 1024,
  tokenRefreshLeadMs: 60_000,
  dataPath: "./data/hubbub.db",
  durability: "process",
  namespaces: [{ prefix: "", ephemeral: false, maxMessages: 10_000, maxAgeMs: 30 * 24 * 3600_000 }],
  inboxMaxMessages: 10_000,
  inboxMaxAgeMs: 30 * 24 * 3600_000,
  idempotencyWindowMs: 10 * 60_000,
  editWindowMs: 2 * 60_000,
  recoveryMaxMessages: 5_000,
  commitIntervalMs: 2,
  apiKeys: [],
  maxApiBodyBytes: 1024 * 1024,
  webhookUrl: "",
  webhookSecret: "",
  webhookOfflineGraceMs: 5_000,
  webhookQueueMax: 10_000,
  webhookQueueBytes: 16 * 1024 * 1024,
  webhookPayloadBytes: 0,
  webhookMaxAttempts: 8,
  webhookTimeoutMs: 5_000,
  shutdownDrainMs: 5_000,
  shutdownTimeoutMs: 15_000,
  logLevel: "info",
  devMode: false,
};

/** A setting that failed validation; `message` names the setting. */
export class ConfigError extends Error {
  override readonly name = "ConfigError";
}

type Kind = "string" | "int" | "list" | "json";

/** How each setting is named in the environment and on the command line, and parsed from text. */
export const SETTINGS: Record<Exclude<keyof Config, "devMode">, { env: string; flag: string; kind: Kind; secret?: boolean; doc: string }> = {
  host: { env: "HUBBUB_HOST", flag: "host", kind: "string", doc: "interface to listen on" },
  port: { env: "HUBBUB_PORT", flag: "port", kind: "int", doc: "TCP port (0 = any free port)" },
  jwtSecret: { env: "HUBBUB_JWT_SECRET", flag: "jwt-secret", kind: "string", secret: true, doc: "HS256 secret (unset with no public key = dev mode)" },
  jwtPublicKey: { env: "HUBBUB_JWT_PUBLIC_KEY", flag: "jwt-public-key", kind: "string", doc: "PEM public key for RS256/ES256" },
  jwtPrivateKey: { env: "HUBBUB_JWT_PRIVATE_KEY", flag: "jwt-private-key", kind: "string", secret: true, doc: "PEM private key to mint RS256/ES256 tokens" },
  jwtAlgorithm: { env: "HUBBUB_JWT_ALGORITHM", flag: "jwt-algorithm", kind: "string", doc: "HS256, RS256 or ES256" },
  allowedOrigins: { env: "HUBBUB_ALLOWED_ORIGINS", flag: "allowed-origins", kind: "list", doc: "comma-separated allowed Origins (default: same host and localhost)" },
  heartbeatMs: { env: "HUBBUB_HEARTBEAT_MS", flag: "heartbeat-ms", kind: "int", doc: "client heartbeat interval, ms" },
  maxFrameBytes: { env: "HUBBUB_MAX_FRAME_BYTES", flag: "max-frame-bytes", kind: "int", doc: "largest WebSocket message, bytes" },
  maxPayloadBytes: { env: "HUBBUB_MAX_PAYLOAD_BYTES", flag: "max-payload-bytes", kind: "int", doc: "largest message payload, bytes" },
  maxRoomsPerSession: { env: "HUBBUB_MAX_ROOMS_PER_SESSION", flag: "max-rooms-per-session", kind: "int", doc: "rooms one session may join" },
  maxSessionsPerUser: { env: "HUBBUB_MAX_SESSIONS_PER_USER", flag: "max-sessions-per-user", kind: "int", doc: "concurrent sessions per user" },
  maxConnections: { env: "HUBBUB_MAX_CONNECTIONS", flag: "max-connections", kind: "int", doc: "connections per process" },
  ratePerSecond: { env: "HUBBUB_RATE_PER_SECOND", flag: "rate-per-second", kind: "int", doc: "rate-limit tokens per second per user (a frame takes 1, costly requests more)" },
  rateBurst: { env: "HUBBUB_RATE_BURST", flag: "rate-burst", kind: "int", doc: "rate-limit burst per user, tokens" },
  maxPendingRequests: { env: "HUBBUB_MAX_PENDING_REQUESTS", flag: "max-pending-requests", kind: "int", doc: "store requests in flight per session" },
  rateMaxStrikes: { env: "HUBBUB_RATE_MAX_STRIKES", flag: "rate-max-strikes", kind: "int", doc: "consecutive limited frames before disconnect" },
  slowConsumerBytes: { env: "HUBBUB_SLOW_CONSUMER_BYTES", flag: "slow-consumer-bytes", kind: "int", doc: "buffered bytes before a slow consumer is closed" },
  tokenRefreshLeadMs: { env: "HUBBUB_TOKEN_REFRESH_LEAD_MS", flag: "token-refresh-lead-ms", kind: "int", doc: "ask for a refresh this long before exp, ms" },
  dataPath: { env: "HUBBUB_DATA_PATH", flag: "data", kind: "string", doc: "SQLite file (`:memory:` for none)" },
  durability: { env: "HUBBUB_DURABILITY", flag: "durability", kind: "string", doc: "process (survives a crash) or power (also power loss; fsync per commit)" },
  namespaces: { env: "HUBBUB_NAMESPACES", flag: "namespaces", kind: "json", doc: "JSON array of {prefix, ephemeral, maxMessages, maxAgeMs}" },
  inboxMaxMessages: { env: "HUBBUB_INBOX_MAX_MESSAGES", flag: "inbox-max-messages", kind: "int", doc: "direct messages kept per user" },
  inboxMaxAgeMs: { env: "HUBBUB_INBOX_MAX_AGE_MS", flag: "inbox-max-age-ms", kind: "int", doc: "direct message retention, ms" },
  idempotencyWindowMs: { env: "HUBBUB_IDEMPOTENCY_WINDOW_MS", flag: "idempotency-window-ms", kind: "int", doc: "client message id memory, ms" },
  editWindowMs: { env: "HUBBUB_EDIT_WINDOW_MS", flag: "edit-window-ms", kind: "int", doc: "recall/edit window for senders, ms" },
  recoveryMaxMessages: { env: "HUBBUB_RECOVERY_MAX_MESSAGES", flag: "recovery-max-messages", kind: "int", doc: "most messages a recovering join returns" },
  commitIntervalMs: { env: "HUBBUB_COMMIT_INTERVAL_MS", flag: "commit-interval-ms", kind: "int", doc: "group-commit tick, ms" },
  apiKeys: { env: "HUBBUB_API_KEYS", flag: "api-keys", kind: "list", secret: true, doc: "comma-separated keys for the /api server API" },
  maxApiBodyBytes: { env: "HUBBUB_MAX_API_BODY_BYTES", flag: "max-api-body-bytes", kind: "int", doc: "largest /api request body, bytes" },
  webhookUrl: { env: "HUBBUB_WEBHOOK_URL", flag: "webhook-url", kind: "string", doc: "webhook receiver URL (empty = off)" },
  webhookSecret: { env: "HUBBUB_WEBHOOK_SECRET", flag: "webhook-secret", kind: "string", secret: true, doc: "HMAC key for Hubbub-Signature" },
  webhookOfflineGraceMs: { env: "HUBBUB_WEBHOOK_OFFLINE_GRACE_MS", flag: "webhook-offline-grace-ms", kind: "int", doc: "offline debounce, ms" },
  webhookQueueMax: { env: "HUBBUB_WEBHOOK_QUEUE_MAX", flag: "webhook-queue-max", kind: "int", doc: "most queued webhook events" },
  webhookQueueBytes: { env: "HUBBUB_WEBHOOK_QUEUE_BYTES", flag: "webhook-queue-bytes", kind: "int", doc: "most queued webhook bytes" },
  webhookPayloadBytes: { env: "HUBBUB_WEBHOOK_PAYLOAD_BYTES", flag: "webhook-payload-bytes", kind: "int", doc: "message.offline payload bytes included (0 = metadata only)" },
  webhookMaxAttempts: { env: "HUBBUB_WEBHOOK_MAX_ATTEMPTS", flag: "webhook-max-attempts", kind: "int", doc: "attempts per webhook event" },
  webhookTimeoutMs: { env: "HUBBUB_WEBHOOK_TIMEOUT_MS", flag: "webhook-timeout-ms", kind: "int", doc: "webhook request timeout, ms" },
  shutdownDrainMs: { env: "HUBBUB_SHUTDOWN_DRAIN_MS", flag: "shutdown-drain-ms", kind: "int", doc: "spread reconnect advisories over this window, ms" },
  shutdownTimeoutMs: { env: "HUBBUB_SHUTDOWN_TIMEOUT_MS", flag: "shutdown-timeout-ms", kind: "int", doc: "exit within this time on SIGTERM, ms" },
  logLevel: { env: "HUBBUB_LOG_LEVEL", flag: "log-level", kind: "string", doc: "debug, info, warn, error or silent" },
};

function parseValue(setting: string, kind: Kind, text: string): unknown {
  switch (kind) {
    case "string":
      return text;
    case "int": {
      if (!/^-?\d+$/.test(text.trim())) throw new ConfigError(`${setting}: "${text}" is not a whole number`);
      return Number(text);
    }
    case "list":
      return text.split(",").map((s) => s.trim()).filter(Boolean);
    case "json":
      try {
        return JSON.parse(text);
      } catch {
        throw new ConfigError(`${setting}: not valid JSON`);
      }
  }
}

export interface ConfigSources {
  /** Parsed config file contents (JSON object), if any. */
  file?: Record<string, unknown>;
  env?: Record<string, string | undefined>;
  /** Flag name (without `--`) → text value. */
  flags?: Record<string, string>;
}

/** Builds and validates the effective configuration. Throws {@link ConfigError} naming the bad setting. */
export function loadConfig(sources: ConfigSources = {}): Config {
  const merged: Record<string, unknown> = { ...DEFAULT_CONFIG };
  const known = new Set(Object.keys(SETTINGS));
  for (const [key, value] of Object.entries(sources.file ?? {})) {
    if (!known.has(key)) throw new ConfigError(`config file: unknown setting "${key}"`);
    merged[key] = value;
  }
  const flagNames = new Map(Object.entries(SETTINGS).map(([key, s]) => [s.flag, key]));
  for (const name of Object.keys(sources.flags ?? {})) {
    if (!flagNames.has(name)) throw new ConfigError(`--${name}: unknown flag (see hubbub --help)`);
  }
  for (const [key, setting] of Object.entries(SETTINGS)) {
    const envText = sources.env?.[setting.env];
    if (envText !== undefined && envText !== "") merged[key] = parseValue(setting.env, setting.kind, envText);
    const flagText = sources.flags?.[setting.flag];
    if (flagText !== undefined) merged[key] = parseValue(`--${setting.flag}`, setting.kind, flagText);
  }
  return validateConfig(merged);
}

function requireInt(c: Record<string, unknown>, key: keyof Config, min: number, max = Number.MAX_SAFE_INTEGER): void {
  const v = c[key];
  if (typeof v !== "number" || !Number.isSafeInteger(v) || v < min || v > max) {
    throw new ConfigError(`${key}: must be a whole number from ${min} to ${max}, got ${JSON.stringify(v)}`);
  }
}

function requireString(c: Record<string, unknown>, key: keyof Config): void {
  if (typeof c[key] !== "string") throw new ConfigError(`${key}: must be a string`);
}

/** Checks every setting's type and range; fills `devMode`. */
export function validateConfig(c: Record<string, unknown>): Config {
  for (const key of ["host", "jwtSecret", "jwtPublicKey", "jwtPrivateKey", "dataPath"] as const) requireString(c, key);
  requireInt(c, "port", 0, 65535);
  requireInt(c, "heartbeatMs", 100, 3_600_000);
  requireInt(c, "maxFrameBytes", 1024, 64 * 1024 * 1024);
  requireInt(c, "maxPayloadBytes", 16, 64 * 1024 * 1024);
  requireInt(c, "maxRoomsPerSession", 1, 100_000);
  requireInt(c, "maxSessionsPerUser", 1, 100_000);
  requireInt(c, "maxConnections", 1, 10_000_000);
  requireInt(c, "ratePerSecond", 1, 1_000_000);
  requireInt(c, "rateBurst", 1, 1_000_000);
  requireInt(c, "rateMaxStrikes", 1, 1_000_000);
  requireInt(c, "maxPendingRequests", 1, 10_000);
  requireInt(c, "slowConsumerBytes", 1024, 1 << 30);
  requireInt(c, "tokenRefreshLeadMs", 0, 86_400_000);
  requireInt(c, "inboxMaxMessages", 0, Number.MAX_SAFE_INTEGER);
  requireInt(c, "inboxMaxAgeMs", 0, Number.MAX_SAFE_INTEGER);
  requireInt(c, "idempotencyWindowMs", 0, Number.MAX_SAFE_INTEGER);
  requireInt(c, "editWindowMs", 0, Number.MAX_SAFE_INTEGER);
  requireInt(c, "recoveryMaxMessages", 0, 1_000_000);
  requireInt(c, "commitIntervalMs", 0, 1000);
  requireInt(c, "maxApiBodyBytes", 1024, 1 << 30);
  requireInt(c, "webhookOfflineGraceMs", 0, 86_400_000);
  requireInt(c, "webhookQueueMax", 1, 10_000_000);
  requireInt(c, "webhookQueueBytes", 64 * 1024, 1 << 30);
  requireInt(c, "webhookPayloadBytes", 0, 64 * 1024 * 1024);
  requireInt(c, "webhookMaxAttempts", 1, 100);
  requireInt(c, "webhookTimeoutMs", 100, 600_000);
  requireInt(c, "shutdownDrainMs", 0, 600_000);
  requireInt(c, "shutdownTimeoutMs", 100, 3_600_000);
  for (const key of ["webhookUrl", "webhookSecret"] as const) requireString(c, key);
  if (!Array.isArray(c.apiKeys) || !c.apiKeys.every((k) => typeof k === "string" && k.length >= 16)) {
    throw new ConfigError("apiKeys: must be a list of keys of at least 16 characters");
  }
  if (c.webhookUrl !== "") {
    try {
      const url = new URL(c.webhookUrl as string);
      if (url.protocol !== "http:" && url.protocol !== "https:") throw new Error();
    } catch {
      throw new ConfigError(`webhookUrl: must be an http(s) URL, got ${JSON.stringify(c.webhookUrl)}`);
    }
    if ((c.webhookSecret as string).length < 16) throw new ConfigError("webhookSecret: required with webhookUrl, at least 16 characters");
  }
  if ((c.shutdownDrainMs as number) >= (c.shutdownTimeoutMs as number)) throw new ConfigError("shutdownDrainMs: must be less than shutdownTimeoutMs");
  if ((c.maxPayloadBytes as number) > (c.maxFrameBytes as number)) {
    throw new ConfigError("maxPayloadBytes: must not exceed maxFrameBytes");
  }
  if (!["HS256", "RS256", "ES256"].includes(c.jwtAlgorithm as string)) {
    throw new ConfigError(`jwtAlgorithm: must be HS256, RS256 or ES256, got ${JSON.stringify(c.jwtAlgorithm)}`);
  }
  if (c.jwtAlgorithm !== "HS256" && !c.jwtPublicKey) throw new ConfigError(`jwtPublicKey: required for ${c.jwtAlgorithm}`);
  if (c.jwtAlgorithm === "HS256" && c.jwtSecret !== "" && (c.jwtSecret as string).length < 16) {
    throw new ConfigError("jwtSecret: must be at least 16 characters");
  }
  if (c.durability !== "process" && c.durability !== "power") {
    throw new ConfigError(`durability: must be process or power, got ${JSON.stringify(c.durability)}`);
  }
  if (!["debug", "info", "warn", "error", "silent"].includes(c.logLevel as string)) {
    throw new ConfigError(`logLevel: must be debug, info, warn, error or silent, got ${JSON.stringify(c.logLevel)}`);
  }
  if (!Array.isArray(c.allowedOrigins) || !c.allowedOrigins.every((o) => typeof o === "string")) {
    throw new ConfigError("allowedOrigins: must be a list of origins");
  }
  c.namespaces = validateNamespaces(c.namespaces);
  c.devMode = c.jwtAlgorithm === "HS256" && c.jwtSecret === "";
  return c as unknown as Config;
}

function validateNamespaces(value: unknown): NamespaceRule[] {
  if (!Array.isArray(value)) throw new ConfigError("namespaces: must be a list of {prefix, ephemeral, maxMessages, maxAgeMs}");
  const rules = value.map((raw, i): NamespaceRule => {
    if (raw === null || typeof raw !== "object") throw new ConfigError(`namespaces[${i}]: must be an object`);
    const r = raw as Record<string, unknown>;
    const rule = {
      prefix: r.prefix ?? "",
      ephemeral: r.ephemeral ?? false,
      maxMessages: r.maxMessages ?? 0,
      maxAgeMs: r.maxAgeMs ?? 0,
    };
    if (typeof rule.prefix !== "string") throw new ConfigError(`namespaces[${i}].prefix: must be a string`);
    if (typeof rule.ephemeral !== "boolean") throw new ConfigError(`namespaces[${i}].ephemeral: must be true or false`);
    for (const k of ["maxMessages", "maxAgeMs"] as const) {
      const n = rule[k];
      if (typeof n !== "number" || !Number.isSafeInteger(n) || n < 0) throw new ConfigError(`namespaces[${i}].${k}: must be a whole number ≥ 0`);
    }
    return rule as NamespaceRule;
  });
  if (!rules.some((r) => r.prefix === "")) rules.push({ ...DEFAULT_CONFIG.namespaces[0]! });
  return rules;
}

/** The rule whose prefix is the longest prefix of `room`. */
export function namespaceOf(rules: readonly NamespaceRule[], room: string): NamespaceRule {
  let best: NamespaceRule | undefined;
  for (const rule of rules) {
    if (room.startsWith(rule.prefix) && (!best || rule.prefix.length > best.prefix.length)) best = rule;
  }
  return best ?? DEFAULT_CONFIG.namespaces[0]!;
}

/** The configuration as printable JSON with secrets masked; usable as a config file (no derived keys). */
export function maskedConfig(config: Config): Record<string, unknown> {
  const { devMode: _derived, ...settings } = config;
  const out: Record<string, unknown> = { ...settings };
  for (const [key, setting] of Object.entries(SETTINGS)) {
    if (!setting.secret) continue;
    const value = out[key];
    if (Array.isArray(value)) out[key] = value.map(() => "********");
    else if (value) out[key] = "********";
  }
  return out;
}
