/**
 * Stored scripts: list (without sources), read, store, rename or replace, remove (`?force=true`
 * also removes the schedules that run the script).
 *
 * @module
 */

import type { AppDeps, RouteDef } from "../route_def.ts";
import type { Schema } from "../schema.ts";
import { DELETED, ERROR_SCHEMA, NAME } from "./_schemas.ts";

const SCRIPT: Schema = {
  type: "object",
  properties: {
    id: { type: "string" },
    name: { type: "string" },
    source: { type: "string" },
    createdAt: { type: "string" },
    updatedAt: { type: "string" },
  },
};

/** The script routes. */
export function scriptRoutes({ engine }: AppDeps): RouteDef[] {
  return [
    {
      method: "get",
      path: "/v1/adm/scripts",
      operationId: "listScripts",
      summary: "Stored scripts (without their source)",
      tag: "scripts",
      scope: "jobs:read",
      responses: { 200: { description: "Scripts", schema: { type: "array", items: SCRIPT } } },
      handler: async (c) => c.json(await engine.scripts.list()),
    },
    {
      method: "post",
      path: "/v1/adm/scripts",
      operationId: "createScript",
      summary: "Store a script",
      tag: "scripts",
      scope: "admin",
      body: {
        type: "object",
        required: ["name", "source"],
        properties: { name: NAME, source: { type: "string" } },
        additionalProperties: false,
      },
      responses: {
        201: { description: "Stored", schema: SCRIPT },
        409: { description: "Name taken", schema: ERROR_SCHEMA },
      },
      handler: async (c, { body }) =>
        c.json(await engine.scripts.create(body as { name: string; source: string }), 201),
    },
    {
      method: "get",
      path: "/v1/adm/scripts/{id}",
      operationId: "getScript",
      summary: "One script with its source, by ID or name",
      tag: "scripts",
      scope: "jobs:read",
      responses: {
        200: { description: "The script", schema: SCRIPT },
        404: { description: "Not found", schema: ERROR_SCHEMA },
      },
      handler: async (c, { params }) => c.json(await engine.scripts.get(params.id!)),
    },
    {
      method: "put",
      path: "/v1/adm/scripts/{id}",
      operationId: "updateScript",
      summary: "Rename a script or replace its source",
      tag: "scripts",
      scope: "admin",
      body: {
        type: "object",
        properties: { name: NAME, source: { type: "string" } },
        additionalProperties: false,
      },
      responses: {
        200: { description: "Updated", schema: SCRIPT },
        404: { description: "Not found", schema: ERROR_SCHEMA },
        409: {
          description: "The new name is taken, or schedules run the script",
          schema: ERROR_SCHEMA,
        },
      },
      handler: async (c, { params, body }) =>
        c.json(
          await engine.scripts.update(params.id!, body as { name?: string; source?: string }),
        ),
    },
    {
      method: "delete",
      path: "/v1/adm/scripts/{id}",
      operationId: "deleteScript",
      summary:
        "Remove a script; refused (409) while schedules run it, unless force=true, which removes them too",
      tag: "scripts",
      scope: "admin",
      query: {
        force: {
          type: "string",
          enum: ["true", "false"],
          description: "Also remove the schedules that run the script",
        },
      },
      responses: {
        ...DELETED,
        409: { description: "Schedules run the script", schema: ERROR_SCHEMA },
      },
      handler: async (c, { params, query }) => {
        await engine.scripts.remove(params.id!, { force: query.force === "true" });
        return c.body(null, 204);
      },
    },
  ];
}
