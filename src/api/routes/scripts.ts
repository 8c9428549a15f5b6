/**
 * Stored scripts: list (without sources), read, store, rename or replace, remove (`?force=true`
 * also removes the schedules that run the script).
 *
 * @module
 */

import { MAX_STORED_SCRIPT_BYTES, RUN_FROM_FILE } from "../../engine/mod.ts";
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

/**
 * The body limit of the routes that store a script: any script the store takes
 * (`MAX_STORED_SCRIPT_BYTES`) fits, however its JSON is escaped. The worst case is six bytes of
 * JSON for one byte of script, a control character written `\u0001` (as JSON.stringify does);
 * a 2-byte character written `\u00e9` is 3 to 1, a 3-byte one 2 to 1, a 4-byte one (two
 * escapes) 3 to 1. 64 KiB more hold the name (200 UTF-16 units, 6 bytes each escaped), the rest
 * of the object and whitespace. A script over the store's limit in a body under this one gets the
 * store's refusal, which gives its size in bytes; a larger body is refused as it arrives (413).
 */
export const SCRIPT_BODY_LIMIT = 6 * MAX_STORED_SCRIPT_BYTES + 64 * 1024;

const SCRIPT_LIMIT = {
  bytes: SCRIPT_BODY_LIMIT,
  advice: `a stored script may be at most ${MAX_STORED_SCRIPT_BYTES / 1048576} MiB (${
    MAX_STORED_SCRIPT_BYTES.toLocaleString("en")
  } bytes): ${RUN_FROM_FILE}`,
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
      bodyLimit: SCRIPT_LIMIT,
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
      handler: async (c, { body, actor }) =>
        c.json(
          await engine.as(actor).scripts.create(body as { name: string; source: string }),
          201,
        ),
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
      bodyLimit: SCRIPT_LIMIT,
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
      handler: async (c, { params, body, actor }) =>
        c.json(
          await engine.as(actor).scripts.update(
            params.id!,
            body as { name?: string; source?: string },
          ),
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
      handler: async (c, { params, query, actor }) => {
        await engine.as(actor).scripts.remove(params.id!, { force: query.force === "true" });
        return c.body(null, 204);
      },
    },
  ];
}
