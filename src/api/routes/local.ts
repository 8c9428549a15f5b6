/**
 * The local channel: `aft run` on the service's machine hands its job to the service. Only a
 * caller holding the data directory's token (its owner) reaches it.
 *
 * @module
 */

import type { AppDeps, RouteDef } from "../route_def.ts";
import { ERROR_SCHEMA, JOB, PARAMS } from "./_schemas.ts";

/** The local channel's routes. */
export function localRoutes({ engine }: AppDeps): RouteDef[] {
  return [
    {
      method: "post",
      path: "/v1/local/run",
      operationId: "localRun",
      summary: "aft run delegation: run a script file on this machine (local channel only)",
      tag: "local",
      scope: "local",
      body: {
        type: "object",
        required: ["filePath"],
        properties: { filePath: { type: "string", minLength: 1 }, params: PARAMS },
        additionalProperties: false,
      },
      responses: {
        201: { description: "The job, queued", schema: JOB },
        404: { description: "No such file", schema: ERROR_SCHEMA },
        503: { description: "The service is stopping", schema: ERROR_SCHEMA },
      },
      handler: async (c, { body, caller }) => {
        const b = body as { filePath: string; params?: unknown };
        const job = await engine.jobs.submit({
          target: { filePath: b.filePath },
          params: b.params,
          trigger: "cli",
          caller,
        });
        return c.json(job, 201);
      },
    },
  ];
}
