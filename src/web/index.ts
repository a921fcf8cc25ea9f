/**
 * @module web
 * The web chat app and admin page, served by the server itself from files built into it:
 * `GET /` (chat), `GET /admin` (operator dashboard), `GET /app/<hashed file>` (scripts, styles),
 * `GET /app/config.json` (what the app needs to know: dev mode, version).
 *
 * In dev mode only (`config.devMode`: no JWT key configured), `POST /dev/token {name}` mints a
 * one-hour token for any user name so the app can sign in with just a name. Outside dev mode the
 * route does not exist (404), and the app asks for a token instead.
 */
import { Elysia, t } from "elysia";
import pkg from "../../package.json" with { type: "json" };
import type { Node } from "../node/node.ts";
import { WEB_ASSETS } from "./assets.ts";

/** Lifetime of a dev-mode token, seconds. The app's token provider fetches a new one before it expires. */
export const DEV_TOKEN_TTL_SECONDS = 3600;

const HTML_HEADERS = {
  "cache-control": "no-cache",
  "x-content-type-options": "nosniff",
  "referrer-policy": "no-referrer",
  "content-security-policy":
    "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; connect-src 'self' ws: wss:; base-uri 'none'; form-action 'none'; frame-ancestors 'none'",
};
const ASSET_HEADERS = { "cache-control": "public, max-age=31536000, immutable", "x-content-type-options": "nosniff" };

interface Prepared {
  type: string;
  body: Uint8Array<ArrayBuffer>;
  gzip: Uint8Array<ArrayBuffer>;
}

/** Encodes and gzips every asset once, at startup. */
function prepare(): Map<string, Prepared> {
  const files = new Map<string, Prepared>();
  for (const [name, asset] of Object.entries(WEB_ASSETS)) {
    const body = new TextEncoder().encode(asset.body);
    files.set(name, { type: asset.type, body, gzip: Bun.gzipSync(body) });
  }
  return files;
}

function respond(file: Prepared | undefined, request: Request, headers: Record<string, string>): Response {
  if (!file) return new Response("not found", { status: 404, headers: { "content-type": "text/plain" } });
  const gzip = /\bgzip\b/.test(request.headers.get("accept-encoding") ?? "");
  return new Response(gzip ? file.gzip : file.body, {
    headers: { ...headers, "content-type": file.type, vary: "accept-encoding", ...(gzip ? { "content-encoding": "gzip" } : {}) },
  });
}

/** The Elysia plugin serving the web app (and, in dev mode, the token endpoint) for `node`. */
export function createWebApp(node: Node) {
  const files = prepare();
  const config = JSON.stringify({ devMode: node.config.devMode, version: pkg.version });
  const app = new Elysia({ name: "hubbub-web" })
    .get("/", ({ request }) => respond(files.get("index.html"), request, HTML_HEADERS), { detail: { hide: true } })
    .get("/admin", ({ request }) => respond(files.get("admin.html"), request, HTML_HEADERS), { detail: { hide: true } })
    .get("/app/config.json", () => new Response(config, { headers: { "content-type": "application/json", "cache-control": "no-cache" } }), { detail: { hide: true } })
    .get("/app/*", ({ params, request }) => respond(files.get(params["*"]), request, ASSET_HEADERS), { detail: { hide: true } });
  if (!node.config.devMode) return app;
  return app.post(
    "/dev/token",
    async ({ body }) => {
      const token = await node.tokens.mint({ sub: body.name, name: body.name, ttlSeconds: DEV_TOKEN_TTL_SECONDS });
      return { token, user: body.name, exp: (Math.floor(Date.now() / 1000) + DEV_TOKEN_TTL_SECONDS) * 1000 };
    },
    {
      body: t.Object({ name: t.String({ pattern: "^[A-Za-z0-9_.-]{1,64}$", description: "The user name to sign in as" }) }),
      detail: { hide: true },
    },
  );
}
