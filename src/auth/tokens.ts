/**
 * @module auth/tokens
 * JWT verification and minting.
 *
 * - Minting and RS256/ES256 verification go through `@elysiajs/jwt` (jose underneath).
 * - HS256 verification has a synchronous fast path on Bun's native HMAC: the plugin's WebCrypto
 *   path verified about 8,700 tokens/s on this machine, below the 10,000 connects/s we promise;
 *   the native path does well over 500,000/s. Both paths accept exactly the same tokens (tested).
 * - `alg: none`, any algorithm other than the configured one, a bad signature, a missing `sub`,
 *   or `exp`/`nbf` outside the current time are rejected.
 * - A `rooms` claim that is not a list of strings, or holds a pattern over the limits of
 *   auth/room-pattern (256 characters, 16 `*`), is rejected with a message naming the pattern:
 *   such a token is a configuration mistake, better reported at connect than as a silent 403 on
 *   every JOIN. {@link TokenService.mint} refuses to make one.
 */
import { jwt } from "@elysiajs/jwt";
import { timingSafeEqual } from "node:crypto";
import type { Config } from "../config.ts";
import { roomPatternProblem } from "./room-pattern.ts";

/** Claims Hubbub reads from a token. */
export interface Claims {
  /** User id. */
  sub: string;
  /** Expiry, seconds since the Unix epoch. */
  exp?: number;
  name?: string;
  /** `admin` may broadcast, join any room and recall any message. */
  role?: string;
  /**
   * Room-name patterns the user may join; `*` matches any run of characters. Each is at most
   * 256 characters with at most 16 stars (auth/room-pattern); a token breaking that is refused.
   */
  rooms: string[];
  /** Token id, for revocation. */
  jti?: string;
}

export type VerifyFailure = "missing" | "malformed" | "expired" | "invalid";
export type VerifyResult = { ok: true; claims: Claims } | { ok: false; reason: VerifyFailure; message: string };

/** What to put in a minted token. */
export interface MintRequest {
  sub: string;
  ttlSeconds?: number;
  name?: string;
  role?: string;
  rooms?: string[];
  jti?: string;
}

type JwtHelper = {
  sign(claims: Record<string, unknown>): Promise<string>;
  verify(token: string, options?: { algorithms?: string[] }): Promise<Record<string, unknown> | false>;
};

function pluginHelper(secret: string | CryptoKey, alg: string): JwtHelper {
  const plugin = jwt({ name: "jwt", secret, alg });
  return (plugin as unknown as { singleton: { decorator: { jwt: JwtHelper } } }).singleton.decorator.jwt;
}

function pemBody(pem: string): ArrayBuffer {
  const b64 = pem.replace(/-----(BEGIN|END)[^-]+-----/g, "").replace(/\s+/g, "");
  const bytes = Uint8Array.from(atob(b64), (c) => c.charCodeAt(0));
  return bytes.buffer;
}

async function importKey(pem: string, alg: "RS256" | "ES256", kind: "public" | "private"): Promise<CryptoKey> {
  const algorithm = alg === "RS256" ? { name: "RSASSA-PKCS1-v1_5", hash: "SHA-256" } : { name: "ECDSA", namedCurve: "P-256" };
  return crypto.subtle.importKey(kind === "public" ? "spki" : "pkcs8", pemBody(pem), algorithm, false, [kind === "public" ? "verify" : "sign"]);
}

const textDecoder = new TextDecoder();

function base64UrlDecode(part: string): Uint8Array {
  return new Uint8Array(Buffer.from(part, "base64url"));
}

/** Verifies and mints tokens with the configured key. Create with {@link createTokenService}. */
export class TokenService {
  private lastHeaderPart: string | undefined;
  private lastHeader: unknown;

  private constructor(
    private readonly alg: Config["jwtAlgorithm"],
    private readonly hmacKey: string | undefined,
    private readonly verifier: JwtHelper,
    private readonly signer: JwtHelper | undefined,
  ) {}

  static async create(config: Pick<Config, "jwtAlgorithm" | "jwtSecret" | "jwtPublicKey" | "jwtPrivateKey">): Promise<TokenService> {
    if (config.jwtAlgorithm === "HS256") {
      const helper = pluginHelper(config.jwtSecret, "HS256");
      return new TokenService("HS256", config.jwtSecret, helper, helper);
    }
    const verifier = pluginHelper(await importKey(config.jwtPublicKey, config.jwtAlgorithm, "public"), config.jwtAlgorithm);
    const signer = config.jwtPrivateKey
      ? pluginHelper(await importKey(config.jwtPrivateKey, config.jwtAlgorithm, "private"), config.jwtAlgorithm)
      : undefined;
    return new TokenService(config.jwtAlgorithm, undefined, verifier, signer);
  }

  /** True when this service can mint tokens (HS256, or a private key is configured). */
  get canMint(): boolean {
    return this.signer !== undefined;
  }

  /** Mints a token. Throws if no signing key is configured. */
  async mint(request: MintRequest): Promise<string> {
    if (!this.signer) throw new Error(`no private key configured to mint ${this.alg} tokens`);
    const problem = roomsProblem(request.rooms);
    if (problem) throw new Error(`cannot mint this token (the server would refuse it): rooms claim ${problem}`);
    const claims: Record<string, unknown> = { sub: request.sub, iat: true };
    if (request.ttlSeconds !== undefined) claims.exp = Math.floor(Date.now() / 1000) + request.ttlSeconds;
    if (request.name) claims.name = request.name;
    if (request.role) claims.role = request.role;
    if (request.rooms?.length) claims.rooms = request.rooms;
    if (request.jti) claims.jti = request.jti;
    return this.signer.sign(claims);
  }

  /** Verifies a token and returns its claims, or why it was refused. Never throws. */
  async verify(token: string | undefined | null): Promise<VerifyResult> {
    const parsed = this.parse(token);
    if ("ok" in parsed) return parsed;
    if (this.hmacKey !== undefined) return this.decide(parsed.payload, this.verifyHmac(parsed.parts));
    const verified = await this.verifier.verify(token!, { algorithms: [this.alg] });
    return this.decide(verified || parsed.payload, verified !== false);
  }

  /**
   * The same verdict as {@link verify}, synchronously, when it can be reached without waiting
   * (HS256, or a token refused before its signature is checked); undefined when the asymmetric
   * path must run. The upgrade path uses it so an HS256 connect stays synchronous in `fetch`.
   */
  verifyNow(token: string | undefined | null): VerifyResult | undefined {
    const parsed = this.parse(token);
    if ("ok" in parsed) return parsed;
    if (this.hmacKey === undefined) return undefined;
    return this.decide(parsed.payload, this.verifyHmac(parsed.parts));
  }

  /** Splits and decodes a token; a failure is returned as a verdict. */
  private parse(token: string | undefined | null): VerifyResult | { parts: string[]; payload: Record<string, unknown> } {
    if (!token) return { ok: false, reason: "missing", message: "no token: pass ?token=, Authorization: Bearer, or a hubbub.token.<jwt> subprotocol" };
    const parts = token.split(".");
    if (parts.length !== 3 || token.length > 8192) return { ok: false, reason: "malformed", message: "token is not a JWT" };
    let header: unknown;
    let payload: unknown;
    try {
      // Almost every token of a deployment carries the same header: decode it once.
      if (parts[0] !== this.lastHeaderPart) {
        this.lastHeader = JSON.parse(textDecoder.decode(base64UrlDecode(parts[0]!)));
        this.lastHeaderPart = parts[0]!;
      }
      header = this.lastHeader;
      payload = JSON.parse(textDecoder.decode(base64UrlDecode(parts[1]!)));
    } catch {
      this.lastHeaderPart = undefined;
      return { ok: false, reason: "malformed", message: "token is not a JWT" };
    }
    if (header === null || typeof header !== "object" || payload === null || typeof payload !== "object" || Array.isArray(payload)) {
      return { ok: false, reason: "malformed", message: "token is not a JWT" };
    }
    if ((header as Record<string, unknown>).alg !== this.alg) return { ok: false, reason: "invalid", message: `token algorithm must be ${this.alg}` };
    return { parts, payload: payload as Record<string, unknown> };
  }

  /** The verdict once the signature is known to be good or bad. */
  private decide(payload: Record<string, unknown>, signatureOk: boolean): VerifyResult {
    if (!signatureOk) return this.timeProblem(payload) ?? { ok: false, reason: "invalid", message: "token signature is invalid" };
    return this.timeProblem(payload) ?? toClaims(payload);
  }

  private verifyHmac(parts: string[]): boolean {
    const hasher = new Bun.CryptoHasher("sha256", this.hmacKey!);
    hasher.update(`${parts[0]}.${parts[1]}`);
    const expected = hasher.digest() as Uint8Array;
    const given = base64UrlDecode(parts[2]!);
    return given.length === expected.length && timingSafeEqual(given, expected);
  }

  private timeProblem(payload: Record<string, unknown>): VerifyResult | undefined {
    const now = Date.now() / 1000;
    if (payload.exp !== undefined && (typeof payload.exp !== "number" || payload.exp <= now)) {
      return { ok: false, reason: "expired", message: "token expired" };
    }
    if (payload.nbf !== undefined && (typeof payload.nbf !== "number" || payload.nbf > now + 5)) {
      return { ok: false, reason: "invalid", message: "token not valid yet (nbf)" };
    }
    return undefined;
  }
}

/** Creates the token service for a configuration. */
export function createTokenService(config: Pick<Config, "jwtAlgorithm" | "jwtSecret" | "jwtPublicKey" | "jwtPrivateKey">): Promise<TokenService> {
  return TokenService.create(config);
}

/** The first pattern of a `rooms` claim over the limits, described; undefined when all are fine. */
function roomsProblem(rooms: string[] | undefined): string | undefined {
  for (const pattern of rooms ?? []) {
    const problem = roomPatternProblem(pattern);
    if (problem) return problem;
  }
  return undefined;
}

function toClaims(payload: Record<string, unknown>): VerifyResult {
  const { sub, exp, name, role, rooms, jti } = payload;
  if (typeof sub !== "string" || sub.length === 0 || sub.length > 200) {
    return { ok: false, reason: "invalid", message: "token needs a sub claim of 1..200 characters" };
  }
  if (rooms !== undefined && (!Array.isArray(rooms) || !rooms.every((r) => typeof r === "string"))) {
    return { ok: false, reason: "invalid", message: "token rooms claim must be a list of strings" };
  }
  const problem = roomsProblem(rooms as string[] | undefined);
  if (problem) return { ok: false, reason: "invalid", message: `token rooms claim: ${problem}` };
  const claims: Claims = { sub, rooms: (rooms as string[] | undefined) ?? [] };
  if (typeof exp === "number") claims.exp = exp;
  if (typeof name === "string") claims.name = name;
  if (typeof role === "string") claims.role = role;
  if (typeof jti === "string") claims.jti = jti;
  return { ok: true, claims };
}
