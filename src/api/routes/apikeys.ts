/**
 * API keys: list (prefix only), create (the key is in the answer, this once), revoke.
 *
 * @module
 */

import { SCOPES } from "../../engine/mod.ts";
import type { AppDeps, RouteDef } from "../route_def.ts";
import type { Schema } from "../schema.ts";
import { DELETED, ERROR_SCHEMA, NAME } from "./_schemas.ts";

const KEY: Schema = {
  type: "object",
  properties: {
    id: { type: "string" },
    name: { type: "string" },
    prefix: { type: "string" },
    allow: { type: "array", items: { type: "string" } },
    scopes: { type: "array", items: { type: "string" } },
    createdAt: { type: "string" },
    lastUsedAt: { type: "string", description: "null when never used" },
    lastCallerIp: {
      type: "string",
      description: "Address of the last caller; null when never used",
    },
    key: { type: "string", description: "Only in the answer to create" },
  },
};

/** The API key routes. */
export function apikeyRoutes({ engine }: AppDeps): RouteDef[] {
  return [
    {
      method: "get",
      path: "/v1/adm/apikeys",
      operationId: "listApiKeys",
      summary: "API keys (prefix only)",
      tag: "apikeys",
      scope: "admin",
      responses: { 200: { description: "Keys", schema: { type: "array", items: KEY } } },
      handler: async (c) => c.json(await engine.apikeys.list()),
    },
    {
      method: "post",
      path: "/v1/adm/apikeys",
      operationId: "createApiKey",
      summary: "Create a key; the answer holds the key, shown this once",
      tag: "apikeys",
      scope: "admin",
      body: {
        type: "object",
        required: ["name"],
        properties: {
          name: NAME,
          allow: { type: "array", items: { type: "string" }, maxItems: 100 },
          scopes: { type: "array", items: { type: "string", enum: [...SCOPES] } },
        },
        additionalProperties: false,
      },
      responses: {
        201: { description: "Created", schema: KEY },
        409: { description: "Name taken", schema: ERROR_SCHEMA },
      },
      handler: async (c, { body }) => {
        const { key, record } = await engine.apikeys.create(
          body as { name: string; allow?: string[]; scopes?: string[] },
        );
        return c.json({ ...record, key }, 201);
      },
    },
    {
      method: "delete",
      path: "/v1/adm/apikeys/{id}",
      operationId: "deleteApiKey",
      summary: "Revoke a key (by ID or name)",
      tag: "apikeys",
      scope: "admin",
      responses: DELETED,
      handler: async (c, { params }) => {
        await engine.apikeys.remove(params.id!);
        return c.body(null, 204);
      },
    },
  ];
}
