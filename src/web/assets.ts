/**
 * @module web/assets
 * The built web app, inlined at bundle time by the {@link bundleWebApp} macro (see `bundle.ts`).
 */
import { bundleWebApp } from "./bundle.ts" with { type: "macro" };

/** The web app's files by name: `index.html`, `admin.html`, and hashed scripts and styles. */
export const WEB_ASSETS: Record<string, { type: string; body: string }> = bundleWebApp();
