/**
 * The web console as a Hono app: `createConsole()`. It serves the pages (server-rendered JSX),
 * the immutable assets under `/assets/`, and, with `demo`, the style guide that shows every
 * component. `aft serve` sends it every request the REST API does not own (`consoleOwns`),
 * on the same origin.
 *
 * @example
 * ```ts
 * const web = createConsole({ demo: true });
 * const res = await web.request("/"); // the dashboard page
 * ```
 * @module
 */

import { Hono } from "hono";
import type { Context } from "hono";
import { compress } from "hono/compress";
import { type Engine, EngineError } from "../engine/mod.ts";
import { VERSION } from "../version.ts";
import { ASSET_PREFIX, assetResponse, type AssetSet } from "./assets.ts";
import { consoleAssets } from "./asset_source.ts";
import type { UiState } from "./context.ts";
import { renderPage } from "./layout.tsx";
import { demoRoutes } from "./pages/demo.tsx";
import { ErrorPage, HomePage, NotFoundPage } from "./pages/home.tsx";
import { securityHeaders } from "./security.ts";
import type { ConsoleEnv } from "./env.ts";
import { pageRoutes, type ServiceFacts } from "./routes/mod.ts";

export type { ConsoleEnv };

/** Options of `createConsole`. */
export interface ConsoleOptions {
  /** Loader of the asset set (kept after the first call); default `consoleAssets()`. */
  assets?: () => Promise<AssetSet>;
  /** Serve the style guide and its test streams (`/style-guide`). */
  demo?: boolean;
  /** The engine the pages work on; without it only the shell and the style guide are served. */
  engine?: Engine;
  /** What `aft serve` knows of itself (its TLS certificate) for the dashboard. */
  service?: ServiceFacts;
}

/** True for the paths the console serves: everything but the REST API and metrics. */
export function consoleOwns(pathname: string): boolean {
  return !(pathname === "/v1" || pathname.startsWith("/v1/") || pathname === "/metrics");
}

/** The console's state for a page of request `c`. */
export type UiStateOf = (c: Context) => Promise<UiState>;

/** The web console. */
export function createConsole(opts: ConsoleOptions = {}): Hono<ConsoleEnv> {
  const assets = opts.assets ?? consoleAssets();
  const demo = opts.demo ?? false;
  const app = new Hono<ConsoleEnv>();
  const uiState: UiStateOf = async (c) => {
    const admin = c.get("admin") as { username: string } | undefined;
    return {
      assets: await assets(),
      path: c.req.path,
      admin: admin ? { name: admin.username } : null,
      csrfToken: c.get("csrf") as string | undefined,
      demo,
      version: VERSION,
    };
  };

  app.use("*", securityHeaders());
  // Pages are compressed as they are sent (assets were compressed once, event streams never).
  app.use("*", compress({ encoding: "gzip" }));
  app.onError(async (err, c) => {
    // Something asked for by name or ID that is not there: the page of a missing page.
    if (err instanceof EngineError && err.kind === "not_found") {
      return renderPage(c, NotFoundPage({ ui: await uiState(c), message: err.message }), 404);
    }
    console.error(`aft serve: console ${c.req.method} ${c.req.path}: ${err.stack ?? err}`);
    try {
      return await renderPage(c, ErrorPage({ ui: await uiState(c) }), 500);
    } catch {
      // Without assets there is no page to show: one sentence of text.
      return c.text("The console cannot show this page; see the service log", 500);
    }
  });
  app.notFound(async (c) => renderPage(c, NotFoundPage({ ui: await uiState(c) }), 404));

  app.get(`${ASSET_PREFIX}:file`, async (c) => {
    const asset = (await assets()).byFile(c.req.param("file"));
    if (!asset) return c.text("No such asset", 404);
    return assetResponse(asset, c.req.raw);
  });

  // TEMPORARY until the console's sign-in lands (session.ts): the pages over the engine are
  // served only with the demo pages on, to this machine, as the development admin; otherwise
  // the shell's home page, as before.
  if (opts.engine && demo) {
    app.route("/", pageRoutes({ engine: opts.engine, uiState, service: opts.service ?? {} }));
  } else app.get("/", async (c) => renderPage(c, HomePage({ ui: await uiState(c) })));
  if (demo) app.route("/style-guide", demoRoutes(uiState));
  return app;
}
