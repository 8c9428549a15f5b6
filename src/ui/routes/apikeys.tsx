/**
 * The API key routes: list, create (the answer is the page that shows the key once; it is
 * never in a URL), revoke.
 *
 * @module
 */

import { Hono } from "hono";
import type { ConsoleEnv } from "../env.ts";
import { renderPage } from "../layout.tsx";
import { ApiKeysPage, NewKeyPage } from "../pages/apikeys.tsx";
import { type Ctx, formOf, opsFor, refusal, type RouteDeps } from "./_common.ts";

/** The address clients reach this service at, from the request (a plausible host only). */
function serviceHost(c: Ctx): string {
  const host = c.req.header("Host") ?? new URL(c.req.url).host;
  return /^[A-Za-z0-9.\-]+(:\d+)?$|^\[[0-9A-Fa-f:.]+\](:\d+)?$/.test(host)
    ? host
    : "127.0.0.1:44399";
}

/** The API key routes over `deps`. */
export function apikeyRoutes(deps: RouteDeps): Hono<ConsoleEnv> {
  const app = new Hono<ConsoleEnv>();
  app.get("/apikeys", async (c) =>
    renderPage(
      c,
      ApiKeysPage({
        ui: await deps.uiState(c),
        keys: await deps.engine.apikeys.list(),
        query: c.req.query(),
      }),
    ));

  app.post("/apikeys", async (c) => {
    const f = await formOf(c);
    const values = { name: f.get("name"), allow: f.get("allow"), scopes: f.all("scope") };
    const allow = values.allow.split(/[\s,]+/).map((a) => a.trim()).filter(Boolean);
    try {
      const { key, record } = await opsFor(deps, c).apikeys.create({
        name: values.name,
        allow,
        scopes: values.scopes,
      });
      const scripts = await deps.engine.scripts.list();
      return renderPage(
        c,
        NewKeyPage({
          ui: await deps.uiState(c),
          name: record.name,
          key,
          host: serviceHost(c),
          script: scripts[0]?.name ?? "My Backup Job",
        }),
      );
    } catch (err) {
      const r = refusal(err);
      return renderPage(
        c,
        ApiKeysPage({
          ui: await deps.uiState(c),
          keys: await deps.engine.apikeys.list(),
          values,
          error: r.message,
          query: {},
        }),
        r.status,
      );
    }
  });

  app.post("/apikeys/:id/revoke", async (c) => {
    await opsFor(deps, c).apikeys.remove(c.req.param("id"));
    return c.redirect("/apikeys?revoked", 303);
  });
  return app;
}
