/**
 * The schedule routes: list, new, edit and save, enable, disable, run now (to the new job's
 * page), delete, and the preview of an expression as JSON for the form's live explanation.
 *
 * @module
 */

import { Hono } from "hono";
import {
  type CronPreview,
  describeCron,
  EngineError,
  type ScheduleRecord,
} from "../../engine/mod.ts";
import type { ConsoleEnv } from "../env.ts";
import { renderPage } from "../layout.tsx";
import { ScheduleFormPage, SchedulesPage, type ScheduleValues } from "../pages/schedules.tsx";
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

/** The schedule routes over `deps`. */
export function scheduleRoutes(deps: RouteDeps): Hono<ConsoleEnv> {
  const app = new Hono<ConsoleEnv>();
  const { engine } = deps;

  const preview = async (cron: string): Promise<{ preview?: CronPreview; cronError?: string }> => {
    if (!cron.trim()) return {};
    try {
      return { preview: await engine.schedules.preview(cron) };
    } catch (err) {
      if (err instanceof EngineError && err.code === "INVALID_CRON") {
        return { cronError: err.message };
      }
      throw err;
    }
  };

  const formPage = async (
    c: Ctx,
    values: ScheduleValues,
    p: { schedule?: ScheduleRecord; error?: string } = {},
    status: 200 | 400 | 403 | 404 | 409 | 500 = 200,
  ) =>
    renderPage(
      c,
      ScheduleFormPage({
        ui: await deps.uiState(c),
        values,
        scripts: (await engine.scripts.list()).map((s) => s.name),
        ...(await preview(values.cron)),
        query: c.req.query(),
        ...p,
      }),
      status,
    );

  const list = async (c: Ctx, error?: string, status: 200 | 400 | 404 | 409 | 500 = 200) => {
    const schedules = (await engine.schedules.list()).map((s) => ({
      ...s,
      words: describeCron(s.cron),
    }));
    return renderPage(
      c,
      SchedulesPage({
        ui: await deps.uiState(c),
        schedules,
        hasScripts: (await engine.scripts.list()).length > 0,
        error,
        query: c.req.query(),
      }),
      status,
    );
  };

  /** The form's values, and what is wrong with its parameter rows (shown as they were). */
  const valuesOf = async (c: Ctx): Promise<{ v: ScheduleValues; problem?: string }> => {
    const f = await formOf(c);
    const v = {
      name: f.get("name"),
      script: f.get("script"),
      cron: f.get("cron").trim(),
      params: {},
      enabled: f.checked("enabled"),
    };
    try {
      return { v: { ...v, params: paramsOf(f) } };
    } catch (err) {
      return { v: { ...v, rows: paramRowsOf(f) }, problem: refusal(err).message };
    }
  };

  app.get("/schedules", (c) => list(c));

  app.get("/schedules/preview", async (c) => {
    try {
      return c.json(await engine.schedules.preview(c.req.query("cron") ?? ""));
    } catch (err) {
      return c.json({ error: refusal(err).message }, 400);
    }
  });

  app.get("/schedules/new", async (c) => {
    const first = (await engine.scripts.list())[0]?.name ?? "";
    return formPage(c, { name: "", script: first, cron: "0 2 * * *", params: {}, enabled: true });
  });

  app.post("/schedules", async (c) => {
    const { v, problem } = await valuesOf(c);
    if (problem) return formPage(c, v, { error: problem }, 400);
    try {
      const ops = opsFor(deps, c);
      const s = await ops.schedules.create(v);
      if (!v.enabled) await ops.schedules.update(s.id, { enabled: false });
      return c.redirect("/schedules?saved", 303);
    } catch (err) {
      const r = refusal(err);
      return formPage(c, v, { error: r.message }, r.status);
    }
  });

  app.get("/schedules/:id", async (c) => {
    const s = await engine.schedules.get(c.req.param("id"));
    return formPage(c, s, { schedule: s });
  });

  app.post("/schedules/:id", async (c) => {
    const s = await engine.schedules.get(c.req.param("id"));
    const { v, problem } = await valuesOf(c);
    if (problem) return formPage(c, v, { schedule: s, error: problem }, 400);
    try {
      await opsFor(deps, c).schedules.update(s.id, v);
      return c.redirect(`/schedules/${s.id}?saved`, 303);
    } catch (err) {
      const r = refusal(err);
      return formPage(c, v, { schedule: s, error: r.message }, r.status);
    }
  });

  for (const [action, enabled] of [["enable", true], ["disable", false]] as const) {
    app.post(`/schedules/:id/${action}`, async (c) => {
      await opsFor(deps, c).schedules.update(c.req.param("id"), { enabled });
      return c.redirect(`/schedules?${action}d`, 303);
    });
  }

  app.post("/schedules/:id/run", async (c) => {
    try {
      const job = await opsFor(deps, c).schedules.runNow(c.req.param("id"), {
        trigger: "ui",
        caller: ADMIN_CALLER,
      });
      return c.redirect(`/jobs/${job.id}`, 303);
    } catch (err) {
      const r = refusal(err);
      return list(c, r.message, r.status === 403 ? 400 : r.status);
    }
  });

  app.post("/schedules/:id/delete", async (c) => {
    await opsFor(deps, c).schedules.remove(c.req.param("id"));
    return c.redirect("/schedules?deleted", 303);
  });
  return app;
}
