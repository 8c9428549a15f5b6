/**
 * The service itself: liveness and Prometheus metrics.
 *
 * @module
 */

import { VERSION } from "../../version.ts";
import { renderMetrics } from "../metrics.ts";
import type { AppDeps, RouteDef } from "../route_def.ts";

/** The service routes. */
export function serviceRoutes({ engine }: AppDeps): RouteDef[] {
  return [
    {
      method: "get",
      path: "/v1/health",
      operationId: "health",
      summary: "Liveness: the service answers",
      tag: "service",
      scope: null,
      responses: {
        200: {
          description: "The service runs",
          schema: {
            type: "object",
            properties: { status: { type: "string" }, version: { type: "string" } },
          },
        },
      },
      handler: (c) => c.json({ status: "ok", version: VERSION }),
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
