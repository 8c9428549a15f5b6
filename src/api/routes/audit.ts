/**
 * The audit log: `GET /v1/adm/audit`, newest first, filtered by actor, action (one, or a group
 * such as `script`) and time range, in pages; with `Accept: text/csv`, every matching entry as
 * one CSV download.
 *
 * @module
 */

import { auditCsvStream } from "../../engine/mod.ts";
import type { AppDeps, RouteDef } from "../route_def.ts";
import type { Schema } from "../schema.ts";

const ENTRY: Schema = {
  type: "object",
  properties: {
    id: { type: "string" },
    at: { type: "string", format: "date-time" },
    actorKind: {
      type: "string",
      enum: ["admin", "apikey", "cli", "local", "schedule", "system"],
    },
    actorName: { type: "string" },
    ip: { type: "string", description: "The caller's address, when it came over the network" },
    action: { type: "string", description: "signin, script.create, settings.update, job.start..." },
    target: { type: "string" },
    detail: { type: "object", description: "What changed (never a secret value)" },
    outcome: { type: "string", enum: ["ok", "failed"] },
  },
};

/** The audit routes. */
export function auditRoutes({ engine }: AppDeps): RouteDef[] {
  return [
    {
      method: "get",
      path: "/v1/adm/audit",
      operationId: "listAudit",
      summary:
        "The audit log, newest first (sign-ins, configuration changes, job actions); Accept: text/csv for every matching entry as CSV",
      tag: "audit",
      scope: "admin",
      query: {
        actor: { type: "string", description: "Actor name (case-insensitive)" },
        action: { type: "string", description: "An action, or a group: script, settings, job..." },
        from: { type: "string", description: "Entries at or after this ISO time or date" },
        to: { type: "string", description: "Entries before this ISO time or date" },
        limit: { type: "integer", minimum: 1, maximum: 1000 },
        cursor: { type: "string", description: "nextCursor of the previous page" },
      },
      responses: {
        200: {
          description: "A page of entries (JSON), or every matching entry (text/csv)",
          schema: {
            type: "object",
            properties: {
              entries: { type: "array", items: ENTRY },
              nextCursor: { type: "string" },
            },
          },
        },
      },
      handler: async (c, { query }) => {
        const q = {
          actor: query.actor || undefined,
          action: query.action || undefined,
          from: query.from || undefined,
          to: query.to || undefined,
          cursor: query.cursor || undefined,
        };
        if ((c.req.header("Accept") ?? "").includes("text/csv")) {
          // Checked before the first byte: a bad filter is a 400, not a broken download.
          await engine.audit.list({ ...q, limit: 1 });
          const limit = query.limit ? Number(query.limit) : undefined;
          return c.body(auditCsvStream(engine.audit.all({ ...q, limit })), 200, {
            "Content-Type": "text/csv; charset=utf-8",
            "Content-Disposition": 'attachment; filename="aft-audit.csv"',
          });
        }
        return c.json(
          await engine.audit.list({ ...q, limit: query.limit ? Number(query.limit) : 50 }),
        );
      },
    },
  ];
}
