/**
 * @module server/app
 * The HTTP surface as one Elysia app: health probes, `/metrics`, the server API under `/api` and
 * its OpenAPI document at `/api/docs`, the web app. WebSocket upgrades on `/ws` do not go through
 * Elysia (see server/index.ts).
 */
import { openapi } from "@elysiajs/openapi";
import { Elysia } from "elysia";
import pkg from "../../package.json" with { type: "json" };
import { createApi, type ApiDeps } from "../api/routes.ts";
import type { Metrics } from "../metrics/metrics.ts";
import type { Node } from "../node/node.ts";
import { StoreError } from "../store/port.ts";
import { createWebApp } from "../web/index.ts";
import { newSessionId } from "../ids.ts";
import { pathOf } from "./upgrade.ts";

/** Request ids: taken from `X-Request-Id` when the caller sent one (1..128 safe characters), else new. */
function requestId(request: Request): string {
  const given = request.headers.get("x-request-id");
  return given && /^[\w.:-]{1,128}$/.test(given) ? given : newSessionId();
}

export function createApp(node: Node, metrics: Metrics, api: ApiDeps) {
  const log = node.log.child({ component: "http" });
  const started = new WeakMap<Request, { id: string; at: number }>();
  // standardHostname: false makes the router find the path after "http://" whatever the Host's
  // length (by default it skips 11 characters, so with `Host: x` it routed `/abc/api/stats` to
  // `/api/stats`). The server speaks plain HTTP (TLS terminates in front of it).
  return new Elysia({ handler: { standardHostname: false } })
    .onRequest(({ request, set }) => {
      const id = requestId(request);
      started.set(request, { id, at: performance.now() });
      set.headers["x-request-id"] = id;
    })
    .onAfterResponse({ as: "global" }, ({ request, set }) => {
      const info = started.get(request);
      const path = pathOf(request.url);
      if (path === "/healthz" || path === "/readyz" || path === "/metrics") return;
      log.debug("request", { requestId: info?.id, method: request.method, path, status: set.status, ms: info ? Math.round((performance.now() - info.at) * 10) / 10 : undefined });
    })
    .use(
      openapi({
        path: "/api/docs",
        documentation: {
          info: { title: "Hubbub server API", version: pkg.version, description: "Drive Hubbub from your backend. Authenticate with `Authorization: Bearer <api key>`." },
          components: { securitySchemes: { apiKey: { type: "http", scheme: "bearer" } } },
          security: [{ apiKey: [] }],
        },
        exclude: { paths: ["/ws", "/healthz", "/readyz", "/metrics"] },
      }),
    )
    .get("/healthz", () => ({ ok: true }))
    // Ready = the store answers and can write (a store that failed a write probes with a real
    // one: see MessageStore.ping), and the node is not draining. 503 carries the reason.
    .get("/readyz", async ({ set }) => {
      const store = await node.store.ping().then(
        (ok) => ({ ok, reason: ok ? undefined : "message store not ready" }),
        (err: unknown) => {
          if (err instanceof StoreError) return { ok: false, reason: err.message };
          log.error("readiness: store ping failed", { err });
          return { ok: false, reason: "message store not ready" };
        },
      );
      const ready = store.ok && !node.draining;
      set.status = ready ? 200 : 503;
      const reason = store.reason ?? (node.draining ? "draining" : undefined);
      return { ready, store: store.ok, draining: node.draining, ...(reason !== undefined ? { reason } : {}) };
    })
    .get("/metrics", async () => new Response(await metrics.render(), { headers: { "content-type": metrics.contentType } }))
    .use(createApi(api))
    .use(createWebApp(node));
}
