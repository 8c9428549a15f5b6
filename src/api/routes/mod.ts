/**
 * Every route of the REST API, resource by resource.
 *
 * @module
 */

import type { AppDeps, RouteDef } from "../route_def.ts";
import { apikeyRoutes } from "./apikeys.ts";
import { auditRoutes } from "./audit.ts";
import { jobRoutes } from "./jobs.ts";
import { localRoutes } from "./local.ts";
import { nodeRoutes } from "./nodes.ts";
import { scheduleRoutes } from "./schedules.ts";
import { scriptRoutes } from "./scripts.ts";
import { secretRoutes } from "./secrets.ts";
import { serviceRoutes } from "./service.ts";
import { settingsRoutes } from "./settings.ts";
import { vfsRoutes } from "./vfs.ts";

/** All routes over `deps`, in the order the OpenAPI document lists them. */
export function allRoutes(deps: AppDeps): RouteDef[] {
  return [
    ...serviceRoutes(deps),
    ...jobRoutes(deps),
    ...localRoutes(deps),
    ...scriptRoutes(deps),
    ...vfsRoutes(deps),
    ...secretRoutes(deps),
    ...apikeyRoutes(deps),
    ...scheduleRoutes(deps),
    ...settingsRoutes(deps),
    ...auditRoutes(deps),
    ...nodeRoutes(deps),
  ];
}
