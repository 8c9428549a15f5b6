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
import { bodyLimit } from "hono/body-limit";
import { compress } from "hono/compress";
import { type Engine, EngineError, MAX_STORED_SCRIPT_BYTES, RUN_FROM_FILE } from "../engine/mod.ts";
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
import type { TlsDetails } from "./routes/_auth_deps.ts";
import { adminRoutes } from "./routes/admins.tsx";
import { auditRoutes } from "./routes/audit.tsx";
import { settingsRoutes } from "./routes/settings.tsx";
import { signInRoutes } from "./routes/signin.tsx";
import { requireAdmin } from "./session.ts";

/**
 * The largest form the console takes, in bytes: a stored script or a secret of 1 MiB (the
 * engine's limits), percent-encoded, with room to spare.
 */
export const FORM_MAX = 4 * 1024 * 1024;

/** The forms that store a script (new, edit): a 413 there says what to do instead. */
const SCRIPT_FORM = /^\/scripts(\/[^/]+)?$/;
const SCRIPT_ADVICE = `a stored script may be at most ${MAX_STORED_SCRIPT_BYTES / 1048576} MiB (${
  MAX_STORED_SCRIPT_BYTES.toLocaleString("en")
} bytes): ${RUN_FROM_FILE}`;

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
  /** The service's log, where the setup wizard's one-time codes are printed. */
  log?: (msg: string) => void;
  /** The certificate the service presents (Settings shows it). */
  tls?: TlsDetails;
}

/** True for the paths the console serves: everything but the REST API and metrics. */
export function consoleOwns(pathname: string): boolean {
  return !(pathname === "/v1" || pathname.startsWith("/v1/") || pathname === "/metrics");
}

/**
 * True for the paths open without a session: the assets, sign-in, setup and sign-out (which
 * checks its session itself), and the style guide (served only with `demo`, for tests).
 * Everything else is behind `requireAdmin`, so a page added later is guarded without asking,
 * and an unknown path tells nobody signed out whether it exists.
 */
export function openPath(path: string): boolean {
  return path.startsWith(ASSET_PREFIX) || path === "/signin" || path === "/signin/code" ||
    path === "/setup" || path === "/signout" || path === "/style-guide" ||
    path.startsWith("/style-guide/");
}

/** The console's state for a page of request `c`. */
export type UiStateOf = (c: Context) => Promise<UiState>;

/** The web console. */
export function createConsole(opts: ConsoleOptions = {}): Hono<ConsoleEnv> {
  const assets = opts.assets ?? consoleAssets();
  const demo = opts.demo ?? false;
  const app = new Hono<ConsoleEnv>();
  const uiState: UiStateOf = async (c) => {
    // Set by requireAdmin on the pages behind it; absent before sign-in.
    const admin = c.get("admin") as { id: string; username: string } | undefined;
    return {
      assets: await assets(),
      path: c.req.path,
      admin: admin ? { id: admin.id, name: admin.username } : null,
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

  if (opts.engine) {
    const engine = opts.engine;
    const deps = { engine, uiState, log: opts.log ?? (() => {}), tls: opts.tls };
    // Before sign-in: /signin, /signin/code, /setup; /signout checks its session itself.
    app.route("/", signInRoutes(deps));
    // Every other path needs a signed-in admin (pageRoutes guards its own paths again, for
    // its tests that mount it alone; that second guard sees this one's admin and passes).
    // Every form is refused past FORM_MAX as it arrives, before the guard reads it for its
    // CSRF token (uploads are PUTs, streamed to the backend, and not held to it).
    app.post(
      "*",
      bodyLimit({
        maxSize: FORM_MAX,
        onError: (c) =>
          c.text(
            `The form is too large: at most ${FORM_MAX / 1048576} MiB${
              SCRIPT_FORM.test(c.req.path) ? `: ${SCRIPT_ADVICE}` : ""
            }`,
            413,
          ),
      }),
    );
    const guard = requireAdmin(engine);
    app.use("*", (c, next) => openPath(c.req.path) ? next() : guard(c, next));
    app.route("/admins", adminRoutes(deps));
    app.route("/", auditRoutes(deps));
    app.route("/", settingsRoutes(deps));
    app.route("/", pageRoutes({ engine, uiState, service: opts.service ?? {} }));
  } else app.get("/", async (c) => renderPage(c, HomePage({ ui: await uiState(c) })));
  if (demo) app.route("/style-guide", demoRoutes(uiState));
  return app;
}
