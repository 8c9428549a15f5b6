/**
 * Secrets: write-only. Names and dates are listed; values are only ever sent in.
 *
 * @module
 */

import type { AppDeps, RouteDef } from "../route_def.ts";
import { ANY_OBJECT, DELETED } from "./_schemas.ts";

/** The secret routes. */
export function secretRoutes({ engine }: AppDeps): RouteDef[] {
  return [
    {
      method: "get",
      path: "/v1/adm/secrets",
      operationId: "listSecrets",
      summary: "Secret names and dates (never values)",
      tag: "secrets",
      scope: "admin",
      responses: { 200: { description: "Secrets", schema: { type: "array", items: ANY_OBJECT } } },
      handler: async (c) => c.json(await engine.secrets.list()),
    },
    {
      method: "put",
      path: "/v1/adm/secrets/{name}",
      operationId: "putSecret",
      summary: "Create or replace a secret (write-only)",
      tag: "secrets",
      scope: "admin",
      body: {
        type: "object",
        required: ["value"],
        properties: { value: { type: "string" } },
        additionalProperties: false,
      },
      responses: { 204: { description: "Stored" } },
      handler: async (c, { params, body, actor }) => {
        await engine.as(actor).secrets.set(params.name!, (body as { value: string }).value);
        return c.body(null, 204);
      },
    },
    {
      method: "delete",
      path: "/v1/adm/secrets/{name}",
      operationId: "deleteSecret",
      summary: "Remove a secret",
      tag: "secrets",
      scope: "admin",
      responses: DELETED,
      handler: async (c, { params, actor }) => {
        await engine.as(actor).secrets.remove(params.name!);
        return c.body(null, 204);
      },
    },
  ];
}
