/**
 * @module server/app
 * The HTTP surface as an Elysia app: the `/ws` upgrade route and health probes. Further routes
 * (server API, metrics, web app) are mounted as plugins by their own modules.
 */
import { Elysia } from "elysia";
import type { Server } from "bun";
import type { Node } from "../node/node.ts";
import type { Session } from "../node/session.ts";
import { handleUpgrade } from "./upgrade.ts";

export function createApp(node: Node) {
  return new Elysia()
    .get("/ws", async ({ request, server }) => {
      if (!server) return new Response("no server", { status: 500 });
      return handleUpgrade(node, request, server as unknown as Server<Session>);
    })
    .get("/healthz", () => ({ ok: true }))
    .get("/readyz", async ({ set }) => {
      const storeOk = await node.store.ping().catch(() => false);
      const ready = storeOk && !node.draining;
      set.status = ready ? 200 : 503;
      return { ready, store: storeOk, draining: node.draining };
    });
}
