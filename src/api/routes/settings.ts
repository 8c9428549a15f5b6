/**
 * Settings: read every setting, change some (all checked before any is stored).
 *
 * @module
 */

import { SETTINGS } from "../../engine/mod.ts";
import type { AppDeps, RouteDef } from "../route_def.ts";
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
        properties: Object.fromEntries(Object.keys(SETTINGS).map((k) => [k, {}])),
        additionalProperties: false,
      },
      responses: { 200: { description: "Settings after the change", schema: ANY_OBJECT } },
      handler: async (c, { body, actor }) =>
        c.json(await engine.as(actor).settings.update(body as Record<string, unknown>)),
    },
  ];
}
