/**
 * @module bench/lib/jwt
 * Mints HS256 tokens locally (no server call), the same way any backend would: base64url of the
 * header and claims, HMAC-SHA256 with the shared secret.
 */

const HEADER = Buffer.from(JSON.stringify({ alg: "HS256", typ: "JWT" })).toString("base64url");

/** The claims Hubbub reads (see src/auth/tokens.ts). */
export interface BenchClaims {
  sub: string;
  exp?: number;
  rooms?: string[];
  role?: "admin";
}

export function mintToken(secret: string, claims: BenchClaims): string {
  const payload = Buffer.from(JSON.stringify(claims)).toString("base64url");
  const hasher = new Bun.CryptoHasher("sha256", secret);
  hasher.update(`${HEADER}.${payload}`);
  const signature = Buffer.from(hasher.digest() as Uint8Array).toString("base64url");
  return `${HEADER}.${payload}.${signature}`;
}
