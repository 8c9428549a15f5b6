/**
 * The console's pages over the engine, resource by resource, behind the session check
 * (`requireAdmin`): the dashboard, scripts, jobs, the VFS Library and its files, secrets, API
 * keys and schedules.
 *
 * @module
 */

import { Hono } from "hono";
import type { ConsoleEnv } from "../env.ts";
import { requireAdmin } from "../session.ts";
import type { RouteDeps } from "./_common.ts";
import { apikeyRoutes } from "./apikeys.tsx";
import { dashboardRoutes } from "./dashboard.tsx";
import { jobRoutes } from "./jobs.tsx";
import { scheduleRoutes } from "./schedules.tsx";
import { scriptRoutes } from "./scripts.tsx";
import { secretRoutes } from "./secrets.tsx";
import { vfsRoutes } from "./vfs.tsx";

export type { RouteDeps, ServiceFacts } from "./_common.ts";

/** The paths the page routes own; the session check guards exactly these. */
export const PAGE_PATHS = [
  "/",
  "/events/*",
  "/scripts",
  "/scripts/*",
  "/jobs",
  "/jobs/*",
  "/vfs",
  "/vfs/*",
  "/secrets",
  "/secrets/*",
  "/apikeys",
  "/apikeys/*",
  "/schedules",
  "/schedules/*",
] as const;

/** Every page route over `deps`. */
export function pageRoutes(deps: RouteDeps): Hono<ConsoleEnv> {
  const app = new Hono<ConsoleEnv>();
  const guard = requireAdmin(deps.engine);
  for (const p of PAGE_PATHS) app.use(p, guard);
  for (
    const routes of [
      dashboardRoutes,
      scriptRoutes,
      jobRoutes,
      vfsRoutes,
      secretRoutes,
      apikeyRoutes,
      scheduleRoutes,
    ]
  ) app.route("/", routes(deps));
  return app;
}
