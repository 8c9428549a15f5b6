/**
 * Settings: read every setting, change some (all checked before any is stored).
 *
 * @module
 */

import { SETTINGS, type SettingSpec } from "../../engine/mod.ts";
import type { AppDeps, RouteDef } from "../route_def.ts";
import type { Schema } from "../schema.ts";
import { ANY_OBJECT } from "./_schemas.ts";

/** The settings routes. */
export function settingsRoutes({ engine }: AppDeps): RouteDef[] {
  return [
    {
      method: "get",
      path: "/v1/adm/settings",
      operationId: "getSettings",
      summary: "Every setting with its current value",
      tag: "settings",
      scope: "admin",
      responses: { 200: { description: "Settings", schema: ANY_OBJECT } },
      handler: async (c) => c.json(await engine.settings.get()),
    },
    {
      method: "patch",
      path: "/v1/adm/settings",
      operationId: "updateSettings",
      summary: "Change settings: an object of key and new value",
      tag: "settings",
      scope: "admin",
      body: {
        type: "object",
        // Each value of its JSON type: the CLI and the console send text, which the engine
        // reads ("3", "true"); a JSON client that sends "3" for a number has a bug to hear of.
        properties: Object.fromEntries(
          Object.entries(SETTINGS).map(([k, spec]) => [k, jsonType(spec)]),
        ),
        additionalProperties: false,
      },
      responses: { 200: { description: "Settings after the change", schema: ANY_OBJECT } },
      handler: async (c, { body, actor }) =>
        c.json(await engine.as(actor).settings.update(body as Record<string, unknown>)),
    },
  ];
}

/** The JSON schema of a setting's value (its range and rules are the engine's to check). */
function jsonType(spec: SettingSpec): Schema {
  switch (spec.kind) {
    case "boolean":
      return { type: "boolean", description: spec.help };
    case "integer":
      return { type: "integer", description: spec.help };
    case "string[]":
      return { type: "array", items: { type: "string" }, description: spec.help };
    default:
      return { type: "string", description: spec.help };
  }
}
