/**
 * The dashboard's routes: the page, and its live stream (`/events/dashboard`): `counters`
 * (running, queued, succeeded and failed in the last 24 hours) and `jobs` (those running and
 * queued), sent when they change: at once for jobs of this process, within a few seconds for
 * those another process (a node, `aft run`) changes.
 *
 * @module
 */

import { Hono } from "hono";
import { streamSSE } from "hono/streaming";
import type { Engine, JobView } from "../../engine/mod.ts";
import { closedEvent, watchAccess } from "../../http/stream_access.ts";
import type { ConsoleEnv } from "../env.ts";
import { sessionAccess } from "../session.ts";
import { renderPage } from "../layout.tsx";
import { type DashboardData, DashboardPage } from "../pages/dashboard.tsx";
import type { RouteDeps } from "./_common.ts";

/** Jobs listed as running or queued, at most. */
const ACTIVE_LIMIT = 20;
/** How often the stream looks at the store when this process is told nothing, in ms. */
const POLL_MS = 3000;

/** Jobs running, then queued (oldest queued first: the order they start in). */
async function activeJobs(engine: Engine): Promise<JobView[]> {
  const running = (await engine.jobs.list({ status: "running", limit: ACTIVE_LIMIT })).jobs;
  const queued = (await engine.jobs.list({ status: "queued", limit: ACTIVE_LIMIT })).jobs
    .reverse();
  return [...running, ...queued].slice(0, ACTIVE_LIMIT);
}

async function snapshot(engine: Engine) {
  const [{ byStatus }, hours, active] = await Promise.all([
    engine.jobs.stats(),
    engine.jobs.hourly(),
    activeJobs(engine),
  ]);
  return {
    counts: {
      running: byStatus.running,
      queued: byStatus.queued,
      succeeded: hours.reduce((a, h) => a + h.succeeded, 0),
      failed: hours.reduce((a, h) => a + h.failed, 0),
    },
    hours,
    active,
  };
}

/** What the stream sends of a job. */
const jobRow = (j: JobView) => ({
  id: j.id,
  scriptName: j.scriptName,
  status: j.status,
  trigger: j.trigger,
  since: j.startedAt ?? j.createdAt,
});

/** The dashboard's routes over `deps`. */
export function dashboardRoutes(deps: RouteDeps): Hono<ConsoleEnv> {
  const app = new Hono<ConsoleEnv>();
  const { engine } = deps;

  app.get("/", async (c) => {
    const snap = await snapshot(engine);
    const next = (await engine.schedules.list())
      .filter((s) => s.enabled && s.nextRunAt)
      .sort((a, b) => a.nextRunAt!.localeCompare(b.nextRunAt!))
      .slice(0, 5);
    const nodes = await engine.nodes.list();
    const data: DashboardData = {
      ...snap,
      next,
      nodes,
      service: {
        version: (await deps.uiState(c)).version,
        node: engine.node,
        startedAt: engine.service.startedAt(),
        now: new Date().toISOString(),
        tls: deps.service.tls,
      },
    };
    return renderPage(c, DashboardPage({ ui: await deps.uiState(c), data }));
  });

  app.get("/events/dashboard", (c) =>
    streamSSE(c, async (stream) => {
      let wake: () => void = () => {};
      const off = engine.bus.on((e) => e.type === "job" && wake());
      stream.onAbort(() => wake());
      const access = sessionAccess(engine, c);
      const abort = new AbortController();
      abort.signal.addEventListener("abort", () => wake());
      watchAccess(access.check, abort);
      let lastCounts = "";
      let lastJobs = "";
      try {
        while (!stream.aborted && !abort.signal.aborted) {
          const woke = new Promise<void>((r) => {
            wake = r;
            setTimeout(r, POLL_MS);
          });
          const snap = await snapshot(engine);
          const counts = JSON.stringify(snap.counts);
          const jobs = JSON.stringify(snap.active.map(jobRow));
          if (counts !== lastCounts) await stream.writeSSE({ event: "counters", data: counts });
          if (jobs !== lastJobs) await stream.writeSSE({ event: "jobs", data: jobs });
          lastCounts = counts;
          lastJobs = jobs;
          await woke;
          // Changes come in bursts (queued, running, ended): one look after the burst.
          await stream.sleep(150);
        }
        const last = closedEvent(access, abort);
        if (last && !stream.aborted) await stream.writeSSE(last);
      } finally {
        abort.abort();
        off();
      }
    }));
  return app;
}
