/**
 * @module client/token
 * Where the client gets its token: a fixed string, or an async provider called before every
 * connection attempt and whenever the server asks for a refresh.
 */
import { base64ToBytes } from "../proto/index.ts";

/** Returns a fresh token (a JWT) for the same user. May be called often; cache in it if minting is costly. */
export type TokenProvider = () => string | Promise<string>;

/** A fixed token, or a provider of fresh ones. */
export type TokenSource = string | TokenProvider;

/** Resolves a token source to a token. */
export async function resolveToken(source: TokenSource): Promise<string> {
  const token = typeof source === "function" ? await source() : source;
  if (typeof token !== "string" || token.length === 0) throw new Error("the token provider returned no token");
  return token;
}

/**
 * The `exp` claim of a JWT, in ms since the Unix epoch, read without verifying the signature (the
 * server verifies); `undefined` when the token has no `exp` or is not a readable JWT.
 */
export function tokenExpiry(token: string): number | undefined {
  const part = token.split(".")[1];
  if (!part) return undefined;
  try {
    let b64 = part.replace(/-/g, "+").replace(/_/g, "/");
    while (b64.length % 4 !== 0) b64 += "=";
    const claims = JSON.parse(new TextDecoder().decode(base64ToBytes(b64))) as { exp?: unknown };
    return typeof claims.exp === "number" ? claims.exp * 1000 : undefined;
  } catch {
    return undefined;
  }
}
