/**
 * @module web/auth
 * Signing in: in dev mode a name is enough (the server mints a token at `POST /dev/token`);
 * otherwise the user pastes a token. What was chosen is remembered in localStorage.
 */
import type { TokenSource } from "../../client/index.ts";
import { base64ToBytes } from "../../proto/index.ts";

/** How this browser signs in. */
export type Credentials = { mode: "dev"; user: string } | { mode: "token"; user: string; token: string };

/** What the server tells the app about itself. */
export interface ServerInfo {
  devMode: boolean;
  version: string;
}

const KEY = "hubbub.credentials";

export async function serverInfo(): Promise<ServerInfo> {
  const response = await fetch("/app/config.json");
  if (!response.ok) return { devMode: false, version: "" };
  return (await response.json()) as ServerInfo;
}

/** Mints a dev-mode token for `name`. */
export async function devToken(name: string): Promise<{ token: string; exp: number }> {
  const response = await fetch("/dev/token", { method: "POST", headers: { "content-type": "application/json" }, body: JSON.stringify({ name }) });
  if (!response.ok) throw new Error(response.status === 404 ? "this server is not in dev mode: paste a token" : `sign-in failed (${response.status})`);
  return (await response.json()) as { token: string; exp: number };
}

/** The `sub` of a JWT (not verified: the server does that), or undefined. */
export function tokenSubject(token: string): string | undefined {
  try {
    let part = token.split(".")[1] ?? "";
    part = part.replace(/-/g, "+").replace(/_/g, "/");
    while (part.length % 4) part += "=";
    const claims = JSON.parse(new TextDecoder().decode(base64ToBytes(part))) as { sub?: unknown };
    return typeof claims.sub === "string" ? claims.sub : undefined;
  } catch {
    return undefined;
  }
}

export function loadCredentials(): Credentials | undefined {
  try {
    const value = JSON.parse(localStorage.getItem(KEY) ?? "null") as Credentials | null;
    return value && typeof value.user === "string" ? value : undefined;
  } catch {
    return undefined;
  }
}

export function saveCredentials(credentials: Credentials): void {
  localStorage.setItem(KEY, JSON.stringify(credentials));
}

export function clearCredentials(): void {
  localStorage.removeItem(KEY);
}

/**
 * The SDK's token source: a pasted token as is; in dev mode a provider that mints a fresh token on
 * every call (the SDK calls it before each connection attempt and on refresh). Nothing is cached:
 * a dev server restarted with a new ephemeral secret would refuse an old token.
 */
export function tokenSource(credentials: Credentials): TokenSource {
  if (credentials.mode === "token") return credentials.token;
  return async () => (await devToken(credentials.user)).token;
}
