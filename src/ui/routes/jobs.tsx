/**
 * The job routes: the history, one job, its live log (`/jobs/:id/events`, resumed after
 * `Last-Event-ID`, so no line is lost or doubled across reconnections), the log as text
 * (streamed), the job as JSON for the page's live facts, Halt and Run again.
 *
 * @module
 */

import { type Context, Hono } from "hono";
import type { Engine } from "../../engine/mod.ts";
import { logLineText } from "../../engine/log_text.ts";
import { jobLogStream, resumeAfter } from "../../http/job_log_stream.ts";
import type { ConsoleEnv } from "../env.ts";
import { sessionAccess } from "../session.ts";
import { renderPage } from "../layout.tsx";
import { type JobFilters, JobPage, JobsPage } from "../pages/jobs.tsx";
import { LOG_MAX_LINES } from "../live.tsx";
import { ADMIN_CALLER, href, opsFor, refusal, type RouteDeps } from "./_common.ts";

/** Lines read at once for the text download. */
const TEXT_BATCH = 2000;

/** A browser-local `YYYY-MM-DDTHH:MM` taken as UTC, when the page's script did not convert it. */
function localAsUtc(v: string): string | undefined {
  return /^\d{4}-\d\d-\d\dT\d\d:\d\d(:\d\d)?$/.test(v) ? `${v}Z` : undefined;
}

/** The log as text lines, read from the store in batches. */
function logText(engine: Engine, id: string): ReadableStream<Uint8Array> {
  const enc = new TextEncoder();
  let after = 0;
  return new ReadableStream({
    async pull(ctrl) {
      const { lines } = await engine.jobs.log(id, after, TEXT_BATCH);
      if (lines.length === 0) return ctrl.close();
      after = lines.at(-1)!.seq;
      ctrl.enqueue(
        enc.encode(
          lines.map((l) => logLineText(l) + "\n").join(""),
        ),
      );
    },
  });
}

/** The job routes over `deps`. */
export function jobRoutes(deps: RouteDeps): Hono<ConsoleEnv> {
  const app = new Hono<ConsoleEnv>();
  const { engine } = deps;

  app.get("/jobs", async (c) => {
    const q = c.req.query();
    const filters: JobFilters = {
      status: q.status ?? "",
      script: (q.script ?? "").trim(),
      trigger: q.trigger ?? "",
      fromLocal: q.fromLocal ?? "",
      toLocal: q.toLocal ?? "",
    };
    const from = q.from || localAsUtc(filters.fromLocal);
    const to = q.to || localAsUtc(filters.toLocal);
    const query = {
      status: filters.status,
      script: filters.script,
      trigger: filters.trigger,
      from,
      to,
      fromLocal: filters.fromLocal,
      toLocal: filters.toLocal,
    };
    let page = {
      jobs: [] as Awaited<ReturnType<Engine["jobs"]["list"]>>["jobs"],
      nextCursor: null as string | null,
    };
    let error: string | undefined;
    try {
      page = await engine.jobs.list({
        status: filters.status || undefined,
        script: filters.script || undefined,
        trigger: filters.trigger || undefined,
        from,
        to,
        cursor: q.cursor || undefined,
        limit: 50,
      });
    } catch (err) {
      error = refusal(err).message;
    }
    const scripts = (await engine.scripts.list()).map((s) => s.name);
    return renderPage(
      c,
      JobsPage({
        ui: await deps.uiState(c),
        jobs: page.jobs,
        filters,
        scripts,
        filtered: Object.values(filters).some((v) => v !== "") || Boolean(q.cursor),
        error,
        first: q.cursor ? href("/jobs", query) : undefined,
        next: page.nextCursor ? href("/jobs", { ...query, cursor: page.nextCursor }) : undefined,
      }),
      error ? 400 : 200,
    );
  });

  /**
   * A job's page. Its live log starts at the last `LOG_MAX_LINES` lines stored so far: the
   * page would drop the earlier ones as they came, after the browser had made each of them
   * (a finished job of 100,000 lines took 4.0 to 4.2 s to show that way, 0.8 s from its tail).
   */
  const jobPage = async (c: Context<ConsoleEnv>, id: string, error?: string) => {
    const job = await engine.jobs.get(id);
    const logStart = Math.max(0, (await engine.jobs.lastLogSeq(id)) - LOG_MAX_LINES);
    return JobPage({ ui: await deps.uiState(c), job, logStart, error });
  };

  app.get("/jobs/:id", async (c) =>
    renderPage(
      c,
      await jobPage(c, c.req.param("id")),
    ));

  app.get("/jobs/:id/summary", async (c) => c.json(await engine.jobs.get(c.req.param("id"))));

  app.get("/jobs/:id/events", async (c) => {
    const id = c.req.param("id");
    await engine.jobs.get(id); // 404 before the stream starts
    return jobLogStream(c, engine, id, resumeAfter(c), sessionAccess(engine, c));
  });

  app.get("/jobs/:id/log.txt", async (c) => {
    const job = await engine.jobs.get(c.req.param("id"));
    return new Response(logText(engine, job.id), {
      headers: {
        "Content-Type": "text/plain; charset=utf-8",
        "Content-Disposition": `attachment; filename="job-${job.id}.log"`,
      },
    });
  });

  app.post("/jobs/:id/halt", async (c) => {
    const id = c.req.param("id");
    try {
      await opsFor(deps, c).jobs.halt(id);
      return c.redirect(`/jobs/${id}`, 303);
    } catch (err) {
      const r = refusal(err);
      return renderPage(c, await jobPage(c, id, r.message), r.status);
    }
  });

  app.post("/jobs/:id/rerun", async (c) => {
    const id = c.req.param("id");
    try {
      const job = await opsFor(deps, c).jobs.rerun(id, { trigger: "ui", caller: ADMIN_CALLER });
      return c.redirect(`/jobs/${job.id}`, 303);
    } catch (err) {
      const r = refusal(err);
      return renderPage(c, await jobPage(c, id, r.message), r.status);
    }
  });
  return app;
}
