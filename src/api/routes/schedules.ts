/**
 * Cron schedules of stored scripts: list, add, read, remove.
 *
 * @module
 */

import type { AppDeps, RouteDef } from "../route_def.ts";
import type { Schema } from "../schema.ts";
import { DELETED, ERROR_SCHEMA, NAME, PARAMS } from "./_schemas.ts";

const SCHEDULE: Schema = {
  type: "object",
  properties: {
    id: { type: "string" },
    name: { type: "string" },
    script: { type: "string" },
    cron: { type: "string" },
    params: { type: "object", additionalProperties: { type: "string" } },
    nextRunAt: { type: "string" },
    lastRunAt: { type: "string" },
    lastJobId: { type: "string" },
  },
};

/** The schedule routes. */
export function scheduleRoutes({ engine }: AppDeps): RouteDef[] {
  return [
    {
      method: "get",
      path: "/v1/adm/schedules",
      operationId: "listSchedules",
      summary: "Schedules with their next run",
      tag: "schedules",
      scope: "jobs:read",
      responses: { 200: { description: "Schedules", schema: { type: "array", items: SCHEDULE } } },
      handler: async (c) => c.json(await engine.schedules.list()),
    },
    {
      method: "post",
      path: "/v1/adm/schedules",
      operationId: "createSchedule",
      summary: "Add a cron schedule for a stored script",
      tag: "schedules",
      scope: "admin",
      body: {
        type: "object",
        required: ["name", "script", "cron"],
        properties: {
          name: NAME,
          script: NAME,
          cron: { type: "string", minLength: 1 },
          params: PARAMS,
        },
        additionalProperties: false,
      },
      responses: { 201: { description: "Added", schema: SCHEDULE } },
      handler: async (c, { body }) =>
        c.json(
          await engine.schedules.create(
            body as { name: string; script: string; cron: string; params?: unknown },
          ),
          201,
        ),
    },
    {
      method: "get",
      path: "/v1/adm/schedules/{id}",
      operationId: "getSchedule",
      summary: "One schedule, by ID or name",
      tag: "schedules",
      scope: "jobs:read",
      responses: {
        200: { description: "The schedule", schema: SCHEDULE },
        404: { description: "Not found", schema: ERROR_SCHEMA },
      },
      handler: async (c, { params }) => c.json(await engine.schedules.get(params.id!)),
    },
    {
      method: "delete",
      path: "/v1/adm/schedules/{id}",
      operationId: "deleteSchedule",
      summary: "Remove a schedule",
      tag: "schedules",
      scope: "admin",
      responses: DELETED,
      handler: async (c, { params }) => {
        await engine.schedules.remove(params.id!);
        return c.body(null, 204);
      },
    },
  ];
}
