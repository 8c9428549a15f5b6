/**
 * Jobs: start one (`POST /v1/jobs`, the seeds' call), list, read, follow the log (JSON or a
 * live event stream), halt.
 *
 * @module
 */

import type { Context } from "hono";
import type { Caller, Engine } from "../../engine/mod.ts";
import {
  jobLogStream,
  lineView,
  resumeAfter,
  type StreamAccess,
} from "../../http/job_log_stream.ts";
import type { AppDeps, RouteDef } from "../route_def.ts";
import type { Schema } from "../schema.ts";
import { ERROR_SCHEMA, JOB, LOG_LINE, NAME, PARAMS } from "./_schemas.ts";

const JOB_BODY: Schema = {
  type: "object",
  properties: {
    scriptName: NAME,
    scriptId: { type: "string", minLength: 1 },
    filePath: { type: "string", minLength: 1 },
    params: PARAMS,
  },
  additionalProperties: false,
};

/**
 * The log as JSON, or with `Accept: text/event-stream` a live stream until the job ends; a
 * stream resumed with `Last-Event-ID` (the last line's `seq`) starts after that line.
 */
async function logRoute(
  engine: Engine,
  c: Context,
  id: string,
  after: number,
  who: { caller: Caller; ip: string },
) {
  if (!(c.req.header("Accept") ?? "").includes("text/event-stream")) {
    const { job, lines } = await engine.jobs.log(id, after);
    return c.json({
      jobId: id,
      status: job.status,
      exitCode: job.exitCode,
      lines: lines.map(lineView),
      next: lines.at(-1)?.seq ?? after,
    });
  }
  await engine.jobs.get(id); // 404 before the stream starts
  return jobLogStream(c, engine, id, resumeAfter(c, after), keyAccess(engine, c, who));
}

/**
 * For a stream opened with an API key: the key must still be valid from the caller's address
 * (revoked, or its allow-list changed, the stream ends). Scopes are fixed when a key is made.
 * The local channel of `aft run` lives as long as the service, and needs no second look.
 */
function keyAccess(
  engine: Engine,
  c: Context,
  { caller, ip }: { caller: Caller; ip: string },
): StreamAccess | undefined {
  const key = c.req.header("X-API-Key");
  if (caller.kind !== "key" || key === undefined) return undefined;
  return {
    check: () => engine.apikeys.authenticate(key, ip).then(() => true),
    ended: `The API key "${caller.key.name}" no longer gives access to this log`,
  };
}

/** The job routes. */
export function jobRoutes({ engine }: AppDeps): RouteDef[] {
  return [
    {
      method: "post",
      path: "/v1/jobs",
      operationId: "startJob",
      summary: "Queue a job for a stored script (by name or ID) or a script file",
      tag: "jobs",
      scope: "jobs:start",
      body: JOB_BODY,
      responses: {
        201: { description: "The job, queued", schema: JOB },
        404: { description: "No such script or file", schema: ERROR_SCHEMA },
        503: { description: "The service is stopping", schema: ERROR_SCHEMA },
      },
      handler: async (c, { body, caller, actor }) => {
        const { params, ...target } = body as Record<string, string>;
        const job = await engine.as(actor).jobs.submit({ target, params, trigger: "api", caller });
        c.header("Location", `/v1/adm/jobs/${job.id}`);
        return c.json(
          {
            id: job.id,
            scriptName: job.scriptName,
            status: job.status,
            createdAt: job.createdAt,
            params: job.params,
          },
          201,
        );
      },
    },
    {
      method: "get",
      path: "/v1/adm/jobs",
      operationId: "listJobs",
      summary: "Jobs, newest first",
      tag: "jobs",
      scope: "jobs:read",
      query: {
        status: { type: "string", enum: ["queued", "running", "succeeded", "failed", "halted"] },
        script: { type: "string" },
        trigger: { type: "string", enum: ["api", "cli", "schedule", "ui"] },
        from: { type: "string", description: "Jobs created at or after this time (ISO 8601)" },
        to: { type: "string", description: "Jobs created before this time (ISO 8601)" },
        limit: { type: "integer", minimum: 1, maximum: 1000 },
        cursor: { type: "string", description: "nextCursor of the previous page" },
      },
      responses: {
        200: {
          description: "A page of jobs",
          schema: {
            type: "object",
            properties: { jobs: { type: "array", items: JOB }, nextCursor: { type: "string" } },
          },
        },
      },
      handler: async (c, { query }) =>
        c.json(
          await engine.jobs.list({
            status: query.status || undefined,
            script: query.script || undefined,
            trigger: query.trigger || undefined,
            from: query.from || undefined,
            to: query.to || undefined,
            cursor: query.cursor || undefined,
            limit: query.limit ? Number(query.limit) : 50,
          }),
        ),
    },
    {
      method: "get",
      path: "/v1/adm/jobs/hourly",
      operationId: "jobsHourly",
      summary:
        "Jobs that ended in each of the last hours (UTC, oldest first) by status, with the bytes they moved",
      tag: "jobs",
      scope: "jobs:read",
      query: { hours: { type: "integer", minimum: 1, maximum: 744, description: "Default 24" } },
      responses: {
        200: {
          description: "One entry per hour",
          schema: {
            type: "array",
            items: {
              type: "object",
              properties: {
                hour: { type: "string" },
                succeeded: { type: "integer" },
                failed: { type: "integer" },
                halted: { type: "integer" },
                bytes: { type: "integer" },
              },
            },
          },
        },
      },
      handler: async (c, { query }) =>
        c.json(await engine.jobs.hourly({ hours: query.hours ? Number(query.hours) : 24 })),
    },
    {
      method: "get",
      path: "/v1/adm/jobs/{id}",
      operationId: "getJob",
      summary: "One job",
      tag: "jobs",
      scope: "jobs:read",
      responses: {
        200: { description: "The job", schema: JOB },
        404: { description: "No such job", schema: ERROR_SCHEMA },
      },
      handler: async (c, { params }) => c.json(await engine.jobs.get(params.id!)),
    },
    {
      method: "get",
      path: "/v1/adm/jobs/{id}/log",
      operationId: "getJobLog",
      summary:
        "The job's log lines; with Accept: text/event-stream, a live stream until the job ends",
      tag: "jobs",
      scope: "jobs:read",
      query: { after: { type: "integer", minimum: 0, description: "Only lines after this seq" } },
      responses: {
        200: {
          description: "Log lines (JSON), or server-sent events `log` and a final `end`",
          schema: {
            type: "object",
            properties: {
              jobId: { type: "string" },
              status: { type: "string" },
              lines: { type: "array", items: LOG_LINE },
              next: { type: "integer" },
            },
          },
        },
        404: { description: "No such job", schema: ERROR_SCHEMA },
      },
      handler: (c, { params, query, caller, actor }) =>
        logRoute(engine, c, params.id!, Number(query.after ?? 0), { caller, ip: actor.ip ?? "" }),
    },
    {
      method: "post",
      path: "/v1/adm/jobs/{id}/halt",
      operationId: "haltJob",
      summary: "Send the halt signal; the job ends as halted",
      tag: "jobs",
      scope: "jobs:start",
      responses: {
        202: {
          description: "Halt sent (or the job was still queued and is now halted)",
          schema: JOB,
        },
        404: { description: "No such job", schema: ERROR_SCHEMA },
        409: { description: "The job has already finished", schema: ERROR_SCHEMA },
      },
      handler: async (c, { params, actor }) =>
        c.json(await engine.as(actor).jobs.halt(params.id!), 202),
    },
    {
      method: "post",
      path: "/v1/adm/jobs/{id}/rerun",
      operationId: "rerunJob",
      summary: "Start the job's script again with the same parameters",
      tag: "jobs",
      scope: "jobs:start",
      responses: {
        201: { description: "The new job, queued", schema: JOB },
        404: { description: "No such job, or its script is gone", schema: ERROR_SCHEMA },
      },
      handler: async (c, { params, caller, actor }) => {
        const job = await engine.as(actor).jobs.rerun(params.id!, { trigger: "api", caller });
        c.header("Location", `/v1/adm/jobs/${job.id}`);
        return c.json(job, 201);
      },
    },
  ];
}
