/**
 * Cron schedules of stored scripts: list, add, read, change (enable, disable), run now,
 * remove; and what an expression means with its next run times (`preview`).
 *
 * @module
 */

import type { SchedulePatch } from "../../engine/mod.ts";
import type { AppDeps, RouteDef } from "../route_def.ts";
import type { Schema } from "../schema.ts";
import { DELETED, ERROR_SCHEMA, JOB, NAME, PARAMS } from "./_schemas.ts";

const SCHEDULE: Schema = {
  type: "object",
  properties: {
    id: { type: "string" },
    name: { type: "string" },
    script: { type: "string" },
    cron: { type: "string" },
    params: { type: "object", additionalProperties: { type: "string" } },
    enabled: { type: "boolean" },
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
          enabled: { type: "boolean", description: "Default true" },
        },
        additionalProperties: false,
      },
      responses: {
        201: { description: "Added", schema: SCHEDULE },
        404: { description: "No stored script by that name", schema: ERROR_SCHEMA },
        409: { description: "Name taken", schema: ERROR_SCHEMA },
      },
      handler: async (c, { body, actor }) =>
        c.json(
          await engine.as(actor).schedules.create(
            body as {
              name: string;
              script: string;
              cron: string;
              params?: unknown;
              enabled?: boolean;
            },
          ),
          201,
        ),
    },
    {
      method: "get",
      path: "/v1/adm/schedules/preview",
      operationId: "previewSchedule",
      summary:
        "A cron expression in words and its next run times, in the service's time zone, as the scheduler computes them",
      tag: "schedules",
      scope: "jobs:read",
      query: {
        cron: { type: "string", minLength: 1 },
        count: { type: "integer", minimum: 1, maximum: 50, description: "Default 5" },
      },
      responses: {
        200: {
          description: "The preview",
          schema: {
            type: "object",
            properties: {
              cron: { type: "string" },
              description: {
                type: "string",
                description: "The expression in words; null when it cannot be said in words",
              },
              timeZone: { type: "string" },
              next: { type: "array", items: { type: "string" } },
            },
          },
        },
      },
      handler: async (c, { query }) =>
        c.json(
          await engine.schedules.preview(query.cron ?? "", {
            count: query.count ? Number(query.count) : 5,
          }),
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
      method: "patch",
      path: "/v1/adm/schedules/{id}",
      operationId: "updateSchedule",
      summary: "Change a schedule: name, script, cron, params, enabled",
      tag: "schedules",
      scope: "admin",
      body: {
        type: "object",
        properties: {
          name: NAME,
          script: NAME,
          cron: { type: "string", minLength: 1 },
          params: PARAMS,
          enabled: { type: "boolean" },
        },
        additionalProperties: false,
      },
      responses: {
        200: { description: "The schedule as it is now", schema: SCHEDULE },
        404: { description: "Not found", schema: ERROR_SCHEMA },
      },
      handler: async (c, { params, body, actor }) =>
        c.json(await engine.as(actor).schedules.update(params.id!, body as SchedulePatch)),
    },
    {
      method: "post",
      path: "/v1/adm/schedules/{id}/run",
      operationId: "runSchedule",
      summary: "Start the schedule's script now, with its parameters",
      tag: "schedules",
      scope: "jobs:start",
      responses: {
        201: { description: "The job, queued", schema: JOB },
        404: { description: "No such schedule or script", schema: ERROR_SCHEMA },
      },
      handler: async (c, { params, caller, actor }) =>
        c.json(
          await engine.as(actor).schedules.runNow(params.id!, { trigger: "api", caller }),
          201,
        ),
    },
    {
      method: "delete",
      path: "/v1/adm/schedules/{id}",
      operationId: "deleteSchedule",
      summary: "Remove a schedule",
      tag: "schedules",
      scope: "admin",
      responses: DELETED,
      handler: async (c, { params, actor }) => {
        await engine.as(actor).schedules.remove(params.id!);
        return c.body(null, 204);
      },
    },
  ];
}
