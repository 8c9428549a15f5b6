/**
 * The `aft serve` nodes on the store: listed, drained and resumed.
 *
 * @module
 */

import type { AppDeps, RouteDef } from "../route_def.ts";
import type { Schema } from "../schema.ts";
import { ERROR_SCHEMA } from "./_schemas.ts";

const NODE: Schema = {
  type: "object",
  properties: {
    id: { type: "string" },
    address: { type: "string" },
    version: { type: "string" },
    startedAt: { type: "string" },
    heartbeatAt: { type: "string" },
    heartbeatAgeSeconds: { type: "number" },
    draining: { type: "boolean" },
    running: { type: "integer" },
    state: {
      type: "string",
      enum: ["ok", "draining", "lost"],
      description: "lost: no heartbeat for longer than nodeLeaseSeconds (its jobs are failed)",
    },
  },
};

/** The node routes. */
export function nodeRoutes({ engine }: AppDeps): RouteDef[] {
  const drain = (on: boolean): RouteDef => ({
    method: on ? "post" : "delete",
    path: "/v1/adm/nodes/{id}/drain",
    operationId: on ? "drainNode" : "resumeNode",
    summary: on
      ? "Drain a node: it claims no new jobs and finishes what it runs (from its next heartbeat)"
      : "End a node's draining: it claims jobs again",
    tag: "nodes",
    scope: "admin",
    responses: {
      200: { description: "The node", schema: NODE },
      404: { description: "No such node", schema: ERROR_SCHEMA },
    },
    handler: async (c, { params }) => c.json(await engine.nodes.drain(params.id!, on)),
  });
  return [
    {
      method: "get",
      path: "/v1/adm/nodes",
      operationId: "listNodes",
      summary: "The nodes on the store: address, version, running jobs, last heartbeat, state",
      tag: "nodes",
      scope: "jobs:read",
      responses: { 200: { description: "Nodes", schema: { type: "array", items: NODE } } },
      handler: async (c) => c.json(await engine.nodes.list()),
    },
    drain(true),
    drain(false),
  ];
}
