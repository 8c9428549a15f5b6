/**
 * The service itself: health (the node that answers, ok, draining or degraded) and Prometheus
 * metrics.
 *
 * @module
 */

import { VERSION } from "../../version.ts";
import { renderMetrics } from "../metrics.ts";
import type { AppDeps, RouteDef } from "../route_def.ts";
import type { Schema } from "../schema.ts";

const HEALTH: Schema = {
  type: "object",
  properties: {
    status: { type: "string", enum: ["ok", "draining", "degraded"] },
    version: { type: "string" },
    node: { type: "string" },
    problems: { type: "array", items: { type: "string" } },
  },
};

/** The service routes. */
export function serviceRoutes({ engine }: AppDeps): RouteDef[] {
  return [
    {
      method: "get",
      path: "/v1/health",
      operationId: "health",
      summary:
        "Health for load balancers: ok (200); draining or degraded (503: the store does not answer, the disk is nearly full)",
      tag: "service",
      scope: null,
      responses: {
        200: { description: "The node takes jobs", schema: HEALTH },
        503: { description: "The node is draining or degraded", schema: HEALTH },
      },
      handler: async (c) => {
        const h = await engine.service.health();
        return c.json({ ...h, version: VERSION }, h.status === "ok" ? 200 : 503);
      },
    },
    {
      method: "get",
      path: "/metrics",
      operationId: "metrics",
      summary: "Prometheus metrics (open from loopback, else a key with jobs:read)",
      tag: "service",
      scope: "jobs:read",
      loopbackOpen: true,
      responses: {
        200: {
          description: "Prometheus text format",
          contentType: "text/plain",
          schema: { type: "string" },
        },
      },
      handler: async (c) =>
        c.body(await renderMetrics(engine), 200, {
          "Content-Type": "text/plain; version=0.0.4; charset=utf-8",
        }),
    },
  ];
}
