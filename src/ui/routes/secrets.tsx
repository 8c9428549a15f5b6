/**
 * The secret routes: list (names only), set or replace, delete. A refused save shows the
 * page again with the name typed, never the value.
 *
 * @module
 */

import { Hono } from "hono";
import type { ConsoleEnv } from "../env.ts";
import { renderPage } from "../layout.tsx";
import { SecretsPage } from "../pages/secrets.tsx";
import { formOf, opsFor, refusal, type RouteDeps } from "./_common.ts";

/** The secret routes over `deps`. */
export function secretRoutes(deps: RouteDeps): Hono<ConsoleEnv> {
  const app = new Hono<ConsoleEnv>();
  app.get("/secrets", async (c) =>
    renderPage(
      c,
      SecretsPage({
        ui: await deps.uiState(c),
        secrets: await deps.engine.secrets.list(),
        query: c.req.query(),
      }),
    ));

  app.post("/secrets", async (c) => {
    const f = await formOf(c);
    const name = f.get("name");
    try {
      await opsFor(deps, c).secrets.set(name, f.get("value"));
      return c.redirect("/secrets?set", 303);
    } catch (err) {
      const r = refusal(err);
      return renderPage(
        c,
        SecretsPage({
          ui: await deps.uiState(c),
          secrets: await deps.engine.secrets.list(),
          name,
          error: r.message,
          query: {},
        }),
        r.status,
      );
    }
  });

  app.post("/secrets/:name/delete", async (c) => {
    await opsFor(deps, c).secrets.remove(c.req.param("name"));
    return c.redirect("/secrets?deleted", 303);
  });
  return app;
}
