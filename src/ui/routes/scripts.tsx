/**
 * The script routes: list and search, new, edit and save, clone, delete (refused while
 * schedules run the script unless forced), and Run now, which answers with the new job's page
 * so its live log opens at once.
 *
 * @module
 */

import { Hono } from "hono";
import { EngineError } from "../../engine/mod.ts";
import type { ConsoleEnv } from "../env.ts";
import { renderPage } from "../layout.tsx";
import { ScriptEditPage, type ScriptEditProps, ScriptsPage } from "../pages/scripts.tsx";
import {
  ADMIN_CALLER,
  type Ctx,
  formOf,
  opsFor,
  paramRowsOf,
  paramsOf,
  refusal,
  type RouteDeps,
} from "./_common.ts";

/** A name for a copy of `name` that no stored script has. */
function copyName(name: string, taken: Set<string>): string {
  for (let n = 1;; n++) {
    const candidate = `${name} (copy${n === 1 ? "" : ` ${n}`})`;
    if (!taken.has(candidate.toLowerCase())) return candidate;
  }
}

/** The script routes over `deps`. */
export function scriptRoutes(deps: RouteDeps): Hono<ConsoleEnv> {
  const app = new Hono<ConsoleEnv>();
  const edit = async (
    c: Ctx,
    p: Omit<ScriptEditProps, "ui">,
    status: 200 | 400 | 403 | 404 | 409 | 500 = 200,
  ) => renderPage(c, ScriptEditPage({ ui: await deps.uiState(c), ...p }), status);

  app.get("/scripts", async (c) =>
    renderPage(
      c,
      ScriptsPage({
        ui: await deps.uiState(c),
        scripts: await deps.engine.scripts.list(),
        q: c.req.query("q")?.trim() ?? "",
        query: c.req.query(),
      }),
    ));

  app.get(
    "/scripts/new",
    (c) => edit(c, { values: { name: "", source: 'Log.Info("Hello, " + Param("name"));\n' } }),
  );

  app.post("/scripts", async (c) => {
    const form = await formOf(c);
    const values = { name: form.get("name"), source: form.get("source") };
    try {
      const s = await opsFor(deps, c).scripts.create(values);
      return c.redirect(`/scripts/${s.id}?created`, 303);
    } catch (err) {
      const r = refusal(err);
      return edit(c, { values, error: r.message }, r.status);
    }
  });

  app.get("/scripts/:id", async (c) => {
    const s = await deps.engine.scripts.get(c.req.param("id"));
    return edit(c, { script: s, values: s, query: c.req.query() });
  });

  app.post("/scripts/:id", async (c) => {
    const form = await formOf(c);
    const values = { name: form.get("name"), source: form.get("source") };
    const s = await deps.engine.scripts.get(c.req.param("id"));
    try {
      await opsFor(deps, c).scripts.update(s.id, values);
      return c.redirect(`/scripts/${s.id}?saved`, 303);
    } catch (err) {
      const r = refusal(err);
      return edit(c, { script: s, values, error: r.message }, r.status);
    }
  });

  app.post("/scripts/:id/run", async (c) => {
    const s = await deps.engine.scripts.get(c.req.param("id"));
    const form = await formOf(c);
    try {
      const params = paramsOf(form);
      const job = await opsFor(deps, c).jobs.submit({
        target: { scriptId: s.id },
        params,
        trigger: "ui",
        caller: ADMIN_CALLER,
      });
      return c.redirect(`/jobs/${job.id}`, 303);
    } catch (err) {
      const r = refusal(err);
      return edit(
        c,
        { script: s, values: s, run: { error: r.message, params: paramRowsOf(form) } },
        r.status,
      );
    }
  });

  app.post("/scripts/:id/clone", async (c) => {
    const s = await deps.engine.scripts.get(c.req.param("id"));
    const taken = new Set((await deps.engine.scripts.list()).map((x) => x.name.toLowerCase()));
    const copy = await opsFor(deps, c).scripts.create({
      name: copyName(s.name, taken),
      source: s.source,
    });
    return c.redirect(`/scripts/${copy.id}?cloned`, 303);
  });

  app.post("/scripts/:id/delete", async (c) => {
    const s = await deps.engine.scripts.get(c.req.param("id"));
    const force = (await formOf(c)).get("force") === "1";
    try {
      await opsFor(deps, c).scripts.remove(s.id, { force });
      return c.redirect("/scripts?deleted", 303);
    } catch (err) {
      const r = refusal(err);
      const inUse = err instanceof EngineError && err.code === "SCRIPT_IN_USE";
      return edit(
        c,
        { script: s, values: s, deleteError: { message: r.message, inUse } },
        r.status,
      );
    }
  });
  return app;
}
