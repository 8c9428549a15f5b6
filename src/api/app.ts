/**
 * The REST API as a Hono app: `createApp({ engine, queue })`. Every route is a `RouteDef` (see
 * `routes.ts`), which gives both the handler and its OpenAPI description. Errors are JSON with
 * stable codes; bodies over 1 MiB are refused with 413.
 *
 * @module
 */

import { Hono } from "hono";
import type { Context } from "hono";
import { streamSSE } from "hono/streaming";
import { isAbsolute } from "node:path";
import { checkLocalPath, LocalRootError } from "../vfs/local_roots.ts";
import { VERSION } from "../version.ts";
import type { Engine } from "../engine/types.ts";
import type { JobQueue } from "../engine/queue.ts";
import { parseParams } from "../engine/params.ts";
import { parseSettingValue, SETTINGS } from "../engine/settings.ts";
import { validateVfsDefinition } from "../engine/vfs_library.ts";
import { maskOptions } from "../commands/vfs.ts";
import { CliError } from "../errors.ts";
import { type JobRecord, type JobStatus, type LogLine, StoreError } from "../store/types.ts";
import type { VfsType } from "../vfs/types.ts";
import {
  allowed,
  DEFAULT_ALLOW,
  DEFAULT_SCOPES,
  FailureLimiter,
  hashKey,
  isLoopback,
  newApiKey,
  normalizeIp,
  parseRange,
  sameHash,
  type Scope,
  SCOPES,
} from "./auth.ts";
import { type Schema, validate } from "./schema.ts";
import { ApiError, type Caller, ERROR_SCHEMA, openApiDocument, type RouteDef } from "./routes.ts";
import { nextRun, validateCron } from "../engine/schedules.ts";
import { renderMetrics } from "./metrics.ts";
import { drainReader } from "./drain.ts";

export const BODY_LIMIT = 1024 * 1024;

export interface AppDeps {
  engine: Engine;
  /** The job queue to wake and halt through; without one, jobs are only recorded. */
  queue?: JobQueue;
  /** Secret of the local channel (`aft run` delegation); read from DATA/service.token. */
  localToken?: string;
  limiter?: FailureLimiter;
}

/** Hono bindings: the transport tells the app who is calling. */
export type Env = { Bindings: { remoteAddr?: string } };

// --- schemas ---------------------------------------------------------------------------------

const SCALAR: Schema = {
  oneOf: [{ type: "string" }, { type: "number" }, { type: "boolean" }, { type: "null" }],
};
const PARAMS: Schema = {
  description: 'A flat object ({"k":"v"}) or the AFT! v3 array ([{"name":"k","value":"v"}])',
  oneOf: [
    { type: "object", additionalProperties: SCALAR },
    {
      type: "array",
      maxItems: 1000,
      items: {
        type: "object",
        required: ["name", "value"],
        properties: { name: { type: "string", minLength: 1 }, value: SCALAR },
        additionalProperties: false,
      },
    },
  ],
};
const NAME: Schema = { type: "string", minLength: 1, maxLength: 200 };
const JOB: Schema = {
  type: "object",
  properties: {
    id: { type: "string" },
    scriptName: { type: "string" },
    scriptId: { type: "string" },
    filePath: { type: "string" },
    status: { type: "string", enum: ["queued", "running", "succeeded", "failed", "halted"] },
    exitCode: { type: "integer" },
    error: { type: "string" },
    trigger: { type: "string", enum: ["api", "cli", "schedule", "ui"] },
    node: { type: "string" },
    params: { type: "object", additionalProperties: { type: "string" } },
    createdAt: { type: "string", format: "date-time" },
    startedAt: { type: "string", format: "date-time" },
    finishedAt: { type: "string", format: "date-time" },
    bytesTransferred: { type: "integer" },
  },
};
const LOG_LINE: Schema = {
  type: "object",
  properties: {
    seq: { type: "integer" },
    ts: { type: "string", format: "date-time" },
    level: { type: "string", enum: ["debug", "info", "warn", "error"] },
    text: { type: "string" },
  },
};
const ANY_OBJECT: Schema = { type: "object" };

function jobView(j: JobRecord) {
  return {
    id: j.id,
    scriptName: j.scriptName,
    scriptId: j.scriptId,
    filePath: j.filePath,
    status: j.status,
    exitCode: j.exitCode,
    error: j.error,
    trigger: j.trigger,
    node: j.node,
    params: j.params,
    createdAt: j.createdAt,
    startedAt: j.startedAt,
    finishedAt: j.finishedAt,
    bytesTransferred: j.bytesTransferred,
  };
}

const lineView = (l: LogLine) => ({ seq: l.seq, ts: l.ts, level: l.level, text: l.text });
const FINISHED: JobStatus[] = ["succeeded", "failed", "halted"];

// --- the app ---------------------------------------------------------------------------------

/** The REST API over `engine`. */
export function createApp(deps: AppDeps): Hono<Env> {
  const limiter = deps.limiter ?? new FailureLimiter();
  const routes = defineRoutes(deps);
  const app = new Hono<Env>();

  app.onError((err, c) => errorResponse(c, err));
  app.notFound((c) =>
    c.json(
      { error: { code: "NOT_FOUND", message: `No route for ${c.req.method} ${c.req.path}` } },
      404,
    )
  );
  app.use("*", async (c, next) => {
    if (Number(c.req.header("Content-Length") ?? "0") > BODY_LIMIT) {
      throw new ApiError(
        413,
        "BODY_TOO_LARGE",
        `The request body is over ${BODY_LIMIT / 1048576} MiB`,
      );
    }
    await next();
    c.header("X-Content-Type-Options", "nosniff");
    c.header("Cache-Control", "no-store");
  });

  const doc = openApiDocument(routes, VERSION);
  app.get("/v1/openapi.json", (c) => c.json(doc));

  for (const r of routes) {
    const honoPath = r.path.replace(/\{(\w+)\}/g, ":$1");
    app.on(r.method.toUpperCase(), honoPath, async (c) => {
      const ip = normalizeIp(c.env?.remoteAddr ?? "");
      const caller = await authenticate(c, r, ip, deps, limiter);
      let body: unknown = undefined;
      if (r.body) {
        const text = await readBody(c.req.raw);
        try {
          body = JSON.parse(text);
        } catch {
          throw new ApiError(400, "MALFORMED_JSON", "The request body is not valid JSON");
        }
        const problem = validate(r.body, body);
        if (problem) throw new ApiError(400, "INVALID_REQUEST", problem);
      }
      const query = c.req.query();
      for (const [k, s] of Object.entries(r.query ?? {})) {
        if (query[k] === undefined || query[k] === "") continue;
        const v = "type" in s && s.type === "integer" ? Number(query[k]) : query[k];
        const problem = validate(s, v, `query parameter ${k}`);
        if (problem) throw new ApiError(400, "INVALID_REQUEST", problem);
      }
      return await r.handler(c, {
        body,
        params: c.req.param() as Record<string, string>,
        query,
        caller,
        ip,
      });
    });
  }
  return app;
}

/** The request body as text, refused with 413 past BODY_LIMIT (declared or actual length). */
async function readBody(req: Request): Promise<string> {
  const tooLarge = () =>
    new ApiError(413, "BODY_TOO_LARGE", `The request body is over ${BODY_LIMIT / 1048576} MiB`);
  const declared = Number(req.headers.get("Content-Length") ?? "0");
  if (declared > BODY_LIMIT) throw tooLarge();
  if (!req.body) return "";
  const parts: Uint8Array[] = [];
  let size = 0;
  const reader = req.body.getReader();
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    size += value.length;
    if (size > BODY_LIMIT) {
      await drainReader(reader); // read the rest (unkept) so HTTP/2 clients get the 413 intact
      throw tooLarge();
    }
    parts.push(value);
  }
  const all = new Uint8Array(size);
  let at = 0;
  for (const p of parts) {
    all.set(p, at);
    at += p.length;
  }
  return new TextDecoder().decode(all);
}

function errorResponse(c: Context, err: unknown): Response {
  if (err instanceof ApiError) {
    for (const [k, v] of Object.entries(err.headers)) c.header(k, v);
    return c.json({ error: { code: err.code, message: err.message } }, err.status);
  }
  if (err instanceof StoreError) {
    const status = err.code === "NOT_FOUND"
      ? 404
      : err.code === "ALREADY_EXISTS"
      ? 409
      : err.code === "INVALID"
      ? 400
      : 500;
    return c.json({ error: { code: err.code, message: err.message } }, status);
  }
  if (err instanceof CliError) {
    return c.json({ error: { code: "INVALID_REQUEST", message: err.message } }, 400);
  }
  // HTTPException from Hono middleware carries its own response.
  if (err && typeof err === "object" && "getResponse" in err) {
    return (err as { getResponse(): Response }).getResponse();
  }
  console.error(`aft serve: ${c.req.method} ${c.req.path}: ${(err as Error)?.stack ?? err}`);
  return c.json(
    { error: { code: "INTERNAL", message: "Internal error; see the service log" } },
    500,
  );
}

async function authenticate(
  c: Context,
  r: RouteDef,
  ip: string,
  deps: AppDeps,
  limiter: FailureLimiter,
): Promise<Caller> {
  if (r.scope === null) return { kind: "anonymous" };
  const wait = limiter.blockedFor(ip);
  if (wait > 0) {
    throw new ApiError(
      429,
      "TOO_MANY_FAILURES",
      `Too many failed authentications from ${ip}: try again in ${wait} s`,
      {
        "Retry-After": String(wait),
      },
    );
  }
  const local = c.req.header("X-Aft-Local-Token");
  if (local !== undefined) {
    if (deps.localToken && isLoopback(ip) && sameHash(local, deps.localToken)) {
      return { kind: "local" };
    }
    limiter.fail(ip);
    throw new ApiError(401, "UNAUTHORIZED", "The local channel token is not valid");
  }
  if (r.scope === "local") {
    throw new ApiError(401, "UNAUTHORIZED", "This route is for aft run on the service's machine");
  }
  const key = c.req.header("X-API-Key");
  if (!key) {
    if (r.loopbackOpen && isLoopback(ip)) return { kind: "anonymous" };
    limiter.fail(ip);
    throw new ApiError(401, "UNAUTHORIZED", "An API key is required (header X-API-Key)");
  }
  const hash = await hashKey(key.trim());
  const rec = await deps.engine.store.apikeys.getByHash(hash);
  if (!rec || !sameHash(rec.hash, hash)) {
    limiter.fail(ip);
    throw new ApiError(401, "UNAUTHORIZED", "The API key is not valid");
  }
  if (!allowed(ip, rec.allow)) {
    limiter.fail(ip);
    throw new ApiError(
      403,
      "ADDRESS_NOT_ALLOWED",
      `The API key "${rec.name}" may not be used from ${ip}`,
    );
  }
  if (!rec.scopes.includes(r.scope) && !rec.scopes.includes("admin")) {
    throw new ApiError(
      403,
      "MISSING_SCOPE",
      `The API key "${rec.name}" lacks the scope ${r.scope}`,
    );
  }
  // "Last used" to the minute: one write per key per minute, not one per request.
  if (!rec.lastUsedAt || Date.now() - Date.parse(rec.lastUsedAt) > 60_000) {
    deps.engine.store.apikeys.touch(rec.id).catch(() => {});
  }
  return { kind: "key", key: rec };
}

function hasScope(caller: Caller, scope: Scope): boolean {
  if (caller.kind === "local") return true;
  if (caller.kind !== "key") return false;
  return caller.key.scopes.includes(scope) || caller.key.scopes.includes("admin");
}

// --- routes ----------------------------------------------------------------------------------

function defineRoutes(deps: AppDeps): RouteDef[] {
  const { engine } = deps;
  const store = engine.store;

  async function createJob(
    body: { scriptName?: string; scriptId?: string; filePath?: string; params?: unknown },
    caller: Caller,
    trigger: JobRecord["trigger"],
  ): Promise<JobRecord> {
    if (deps.queue?.stopping) {
      throw new ApiError(
        503,
        "SHUTTING_DOWN",
        "The service is shutting down and takes no new jobs",
      );
    }
    const targets = ["scriptName", "scriptId", "filePath"].filter((k) => k in body);
    if (targets.length !== 1) {
      throw new ApiError(
        400,
        "INVALID_REQUEST",
        targets.length === 0
          ? "Give one of scriptName, scriptId or filePath"
          : `Give only one of scriptName, scriptId or filePath, not ${targets.join(" and ")}`,
      );
    }
    let params: Record<string, string>;
    try {
      params = parseParams(body.params ?? {});
    } catch (err) {
      throw new ApiError(400, "INVALID_REQUEST", (err as Error).message);
    }
    let job: JobRecord;
    if (body.filePath !== undefined) {
      if (!hasScope(caller, "files")) {
        throw new ApiError(
          403,
          "MISSING_SCOPE",
          "Starting a job from a file needs the files scope",
        );
      }
      const p = body.filePath;
      if (!isAbsolute(p)) {
        throw new ApiError(400, "INVALID_REQUEST", "filePath must be an absolute path");
      }
      const { localRoots } = await engine.settings();
      let abs: string;
      try {
        // The same check scripts get: links resolved, case-insensitive on Windows.
        abs = await checkLocalPath(p, localRoots);
      } catch (err) {
        if (!(err instanceof LocalRootError)) throw err;
        throw new ApiError(
          403,
          "PATH_NOT_ALLOWED",
          `"${p}" is outside the allowed folders (setting localRoots)`,
        );
      }
      try {
        if (!(await Deno.stat(abs)).isFile) throw new Error();
      } catch {
        throw new ApiError(404, "FILE_NOT_FOUND", `No script file "${p}" on the service's machine`);
      }
      job = await store.jobs.create({
        scriptId: null,
        scriptName: abs.split(/[\\/]/).pop()!,
        filePath: abs,
        params,
        trigger,
      });
    } else {
      const script = body.scriptId !== undefined
        ? await store.scripts.get(body.scriptId)
        : await store.scripts.getByName(body.scriptName!);
      if (!script) {
        throw new ApiError(
          404,
          "SCRIPT_NOT_FOUND",
          body.scriptId !== undefined
            ? `No stored script with ID "${body.scriptId}"`
            : `No stored script named "${body.scriptName}"`,
        );
      }
      job = await store.jobs.create({
        scriptId: script.id,
        scriptName: script.name,
        filePath: null,
        params,
        trigger,
      });
    }
    deps.queue?.wake();
    return job;
  }

  async function getJob(id: string): Promise<JobRecord> {
    const job = await store.jobs.get(id);
    if (!job) throw new ApiError(404, "JOB_NOT_FOUND", `No job with ID "${id}"`);
    return job;
  }

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

  const logRoute = async (c: Context, id: string, after: number) => {
    const job = await getJob(id);
    if (!(c.req.header("Accept") ?? "").includes("text/event-stream")) {
      const lines = await store.jobs.logs(id, after);
      return c.json({
        jobId: id,
        status: job.status,
        exitCode: job.exitCode,
        lines: lines.map(lineView),
        next: lines.at(-1)?.seq ?? after,
      });
    }
    return streamSSE(c, async (stream) => {
      let last = after;
      let ended = false;
      let wake: () => void = () => {};
      const off = engine.bus.on((e) => {
        if ((e.type === "log" && e.line.jobId === id) || (e.type === "job" && e.job.id === id)) {
          wake();
        }
      });
      stream.onAbort(() => {
        ended = true;
        wake();
      });
      try {
        while (!ended) {
          const woke = new Promise<void>((r) => {
            wake = r;
            setTimeout(r, 1000); // also catches lines stored by another process
          });
          const lines = await store.jobs.logs(id, last);
          for (const l of lines) {
            await stream.writeSSE({
              event: "log",
              id: String(l.seq),
              data: JSON.stringify(lineView(l)),
            });
            last = l.seq;
          }
          const cur = await store.jobs.get(id);
          if (!cur || FINISHED.includes(cur.status)) {
            // Lines are stored in batches: one more read after the end catches the last ones.
            const rest = await store.jobs.logs(id, last);
            for (const l of rest) {
              await stream.writeSSE({
                event: "log",
                id: String(l.seq),
                data: JSON.stringify(lineView(l)),
              });
            }
            await stream.writeSSE({
              event: "end",
              data: JSON.stringify({
                status: cur?.status,
                exitCode: cur?.exitCode ?? null,
                error: cur?.error ?? null,
              }),
            });
            break;
          }
          await woke;
        }
      } finally {
        off();
      }
    });
  };

  const routes: RouteDef[] = [
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
        c.body(await renderMetrics(engine, deps.queue), 200, {
          "Content-Type": "text/plain; version=0.0.4; charset=utf-8",
        }),
    },
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
      },
      handler: async (c, { body, caller }) => {
        const job = await createJob(body as Record<string, string>, caller, "api");
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
      handler: async (c, { query }) => {
        const limit = query.limit ? Number(query.limit) : 50;
        const jobs = await store.jobs.list({
          status: (query.status || undefined) as JobStatus | undefined,
          script: query.script || undefined,
          before: query.cursor || undefined,
          limit,
        });
        return c.json({
          jobs: jobs.map(jobView),
          nextCursor: jobs.length === limit ? jobs.at(-1)!.id : null,
        });
      },
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
      handler: async (c, { params }) => c.json(jobView(await getJob(params.id!))),
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
      handler: (c, { params, query }) => logRoute(c, params.id!, Number(query.after ?? 0)),
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
      handler: async (c, { params }) => {
        const job = await getJob(params.id!);
        if (FINISHED.includes(job.status)) {
          throw new ApiError(
            409,
            "JOB_FINISHED",
            `Job ${job.id} has already finished (${job.status})`,
          );
        }
        if (!deps.queue) throw new ApiError(503, "NO_QUEUE", "This process runs no jobs");
        const now = await deps.queue.halt(job.id);
        return c.json(jobView(now ?? job), 202);
      },
    },
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
      responses: { 201: { description: "The job, queued", schema: JOB } },
      handler: async (c, { body, caller }) => {
        if (!(await engine.settings(true)).allowCliRun) {
          throw new ApiError(
            403,
            "CLI_RUN_OFF",
            "Running scripts from the command line is off (setting allowCliRun)",
          );
        }
        const job = await createJob(body as Record<string, string>, caller, "cli");
        return c.json(jobView(job), 201);
      },
    },
    ...scriptRoutes(deps),
    ...vfsRoutes(deps),
    ...secretRoutes(deps),
    ...apikeyRoutes(deps),
    ...scheduleRoutes(deps),
    ...settingsRoutes(deps),
  ];
  return routes;
}

const SCRIPT: Schema = {
  type: "object",
  properties: {
    id: { type: "string" },
    name: { type: "string" },
    source: { type: "string" },
    createdAt: { type: "string" },
    updatedAt: { type: "string" },
  },
};
const DELETED = {
  204: { description: "Removed" },
  404: { description: "Not found", schema: ERROR_SCHEMA },
};

async function findScript(engine: Engine, idOrName: string) {
  const s = (await engine.store.scripts.get(idOrName)) ??
    (await engine.store.scripts.getByName(idOrName));
  if (!s) throw new ApiError(404, "SCRIPT_NOT_FOUND", `No stored script "${idOrName}"`);
  return s;
}

function scriptRoutes({ engine }: AppDeps): RouteDef[] {
  const store = engine.store;
  return [
    {
      method: "get",
      path: "/v1/adm/scripts",
      operationId: "listScripts",
      summary: "Stored scripts (without their source)",
      tag: "scripts",
      scope: "jobs:read",
      responses: { 200: { description: "Scripts", schema: { type: "array", items: SCRIPT } } },
      handler: async (c) =>
        c.json((await store.scripts.list()).map(({ source: _s, ...rest }) => rest)),
    },
    {
      method: "post",
      path: "/v1/adm/scripts",
      operationId: "createScript",
      summary: "Store a script",
      tag: "scripts",
      scope: "admin",
      body: {
        type: "object",
        required: ["name", "source"],
        properties: { name: NAME, source: { type: "string" } },
        additionalProperties: false,
      },
      responses: {
        201: { description: "Stored", schema: SCRIPT },
        409: { description: "Name taken", schema: ERROR_SCHEMA },
      },
      handler: async (c, { body }) =>
        c.json(await store.scripts.create(body as { name: string; source: string }), 201),
    },
    {
      method: "get",
      path: "/v1/adm/scripts/{id}",
      operationId: "getScript",
      summary: "One script with its source, by ID or name",
      tag: "scripts",
      scope: "jobs:read",
      responses: {
        200: { description: "The script", schema: SCRIPT },
        404: { description: "Not found", schema: ERROR_SCHEMA },
      },
      handler: async (c, { params }) => c.json(await findScript(engine, params.id!)),
    },
    {
      method: "put",
      path: "/v1/adm/scripts/{id}",
      operationId: "updateScript",
      summary: "Rename a script or replace its source",
      tag: "scripts",
      scope: "admin",
      body: {
        type: "object",
        properties: { name: NAME, source: { type: "string" } },
        additionalProperties: false,
      },
      responses: {
        200: { description: "Updated", schema: SCRIPT },
        404: { description: "Not found", schema: ERROR_SCHEMA },
      },
      handler: async (c, { params, body }) => {
        const s = await findScript(engine, params.id!);
        return c.json(await store.scripts.update(s.id, body as { name?: string; source?: string }));
      },
    },
    {
      method: "delete",
      path: "/v1/adm/scripts/{id}",
      operationId: "deleteScript",
      summary: "Remove a script",
      tag: "scripts",
      scope: "admin",
      responses: DELETED,
      handler: async (c, { params }) => {
        const s = await findScript(engine, params.id!);
        await store.scripts.remove(s.id);
        return c.body(null, 204);
      },
    },
  ];
}

function vfsRoutes({ engine }: AppDeps): RouteDef[] {
  const VFS: Schema = {
    type: "object",
    properties: {
      id: { type: "string" },
      name: { type: "string" },
      type: { type: "string" },
      target: { type: "string" },
      options: { type: "object", additionalProperties: { type: "string" } },
    },
  };
  return [
    {
      method: "get",
      path: "/v1/adm/vfs",
      operationId: "listVfs",
      summary: "The VFS Library",
      tag: "vfs",
      scope: "admin",
      responses: { 200: { description: "Entries", schema: { type: "array", items: VFS } } },
      handler: async (c) => c.json(await engine.vfs.list()),
    },
    {
      method: "post",
      path: "/v1/adm/vfs",
      operationId: "createVfs",
      summary: "Add a VFS (options are encrypted at rest)",
      tag: "vfs",
      scope: "admin",
      body: {
        type: "object",
        required: ["name", "type", "target"],
        properties: {
          name: NAME,
          type: { type: "string", enum: ["disk", "sftp", "ftp", "ftps", "s3", "azure", "gcs"] },
          target: { type: "string", minLength: 1 },
          options: { type: "object", additionalProperties: { type: "string" } },
        },
        additionalProperties: false,
      },
      responses: {
        201: { description: "Added", schema: VFS },
        409: { description: "Name taken", schema: ERROR_SCHEMA },
      },
      handler: async (c, { body }) => {
        const b = body as {
          name: string;
          type: VfsType;
          target: string;
          options?: Record<string, string>;
        };
        const def = { name: b.name, type: b.type, target: b.target, options: b.options ?? {} };
        await validateVfsDefinition(def);
        const rec = await engine.vfs.add(def);
        return c.json({
          ...rec,
          type: def.type,
          target: def.target,
          options: maskOptions(def.options),
        }, 201);
      },
    },
    {
      method: "get",
      path: "/v1/adm/vfs/{name}",
      operationId: "getVfs",
      summary: "One VFS, credentials masked",
      tag: "vfs",
      scope: "admin",
      responses: {
        200: { description: "The entry", schema: VFS },
        404: { description: "Not found", schema: ERROR_SCHEMA },
      },
      handler: async (c, { params }) => {
        const def = await engine.vfs.get(params.name!);
        if (!def) throw new ApiError(404, "VFS_NOT_FOUND", `No VFS named "${params.name}"`);
        return c.json({ ...def, options: maskOptions(def.options) });
      },
    },
    {
      method: "delete",
      path: "/v1/adm/vfs/{name}",
      operationId: "deleteVfs",
      summary: "Remove a VFS",
      tag: "vfs",
      scope: "admin",
      responses: DELETED,
      handler: async (c, { params }) => {
        if (!(await engine.vfs.remove(params.name!))) {
          throw new ApiError(404, "VFS_NOT_FOUND", `No VFS named "${params.name}"`);
        }
        return c.body(null, 204);
      },
    },
  ];
}

function secretRoutes({ engine }: AppDeps): RouteDef[] {
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
      handler: async (c, { params, body }) => {
        await engine.secrets.set(params.name!, (body as { value: string }).value);
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
      handler: async (c, { params }) => {
        if (!(await engine.secrets.remove(params.name!))) {
          throw new ApiError(404, "SECRET_NOT_FOUND", `No secret named "${params.name}"`);
        }
        return c.body(null, 204);
      },
    },
  ];
}

/** Creates an API key; returns the record and the key, which is shown this once. */
export async function createApiKey(
  engine: Engine,
  input: { name: string; allow?: string[]; scopes?: string[] },
): Promise<{ key: string; record: Awaited<ReturnType<Engine["store"]["apikeys"]["create"]>> }> {
  const allow = input.allow && input.allow.length > 0 ? input.allow : DEFAULT_ALLOW;
  for (const a of allow) {
    if (!parseRange(a)) {
      throw new ApiError(400, "INVALID_REQUEST", `"${a}" is not an address or CIDR range`);
    }
  }
  const scopes = input.scopes && input.scopes.length > 0 ? input.scopes : DEFAULT_SCOPES;
  for (const s of scopes) {
    if (!(SCOPES as readonly string[]).includes(s)) {
      throw new ApiError(400, "INVALID_REQUEST", `Unknown scope "${s}": use ${SCOPES.join(", ")}`);
    }
  }
  const key = newApiKey();
  const record = await engine.store.apikeys.create({
    name: input.name,
    prefix: key.slice(0, 6),
    hash: await hashKey(key),
    allow: [...new Set(allow)],
    scopes: [...new Set(scopes)],
  });
  return { key, record };
}

export const apiKeyView = (
  k: {
    id: string;
    name: string;
    prefix: string;
    allow: string[];
    scopes: string[];
    createdAt: string;
    lastUsedAt: string | null;
  },
) => ({
  id: k.id,
  name: k.name,
  prefix: k.prefix,
  allow: k.allow,
  scopes: k.scopes,
  createdAt: k.createdAt,
  lastUsedAt: k.lastUsedAt,
});

function apikeyRoutes({ engine }: AppDeps): RouteDef[] {
  const KEY: Schema = {
    type: "object",
    properties: {
      id: { type: "string" },
      name: { type: "string" },
      prefix: { type: "string" },
      allow: { type: "array", items: { type: "string" } },
      scopes: { type: "array", items: { type: "string" } },
      key: { type: "string", description: "Only in the answer to create" },
    },
  };
  return [
    {
      method: "get",
      path: "/v1/adm/apikeys",
      operationId: "listApiKeys",
      summary: "API keys (prefix only)",
      tag: "apikeys",
      scope: "admin",
      responses: { 200: { description: "Keys", schema: { type: "array", items: KEY } } },
      handler: async (c) => c.json((await engine.store.apikeys.list()).map(apiKeyView)),
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
      responses: { 201: { description: "Created", schema: KEY } },
      handler: async (c, { body }) => {
        const { key, record } = await createApiKey(engine, body as { name: string });
        return c.json({ ...apiKeyView(record), key }, 201);
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
        if (!(await engine.store.apikeys.remove(params.id!))) {
          throw new ApiError(404, "APIKEY_NOT_FOUND", `No API key "${params.id}"`);
        }
        return c.body(null, 204);
      },
    },
  ];
}

/** Creates a schedule after checking its script and cron expression. */
export async function createSchedule(
  engine: Engine,
  input: { name: string; script: string; cron: string; params?: unknown },
) {
  const problem = validateCron(input.cron);
  if (problem) throw new ApiError(400, "INVALID_CRON", problem);
  if (!(await engine.store.scripts.getByName(input.script))) {
    throw new ApiError(404, "SCRIPT_NOT_FOUND", `No stored script named "${input.script}"`);
  }
  let params: Record<string, string>;
  try {
    params = parseParams(input.params ?? {});
  } catch (err) {
    throw new ApiError(400, "INVALID_REQUEST", (err as Error).message);
  }
  return await engine.store.schedules.create({
    name: input.name,
    script: input.script,
    cron: input.cron,
    params,
    enabled: true,
    nextRunAt: nextRun(input.cron, new Date()),
  });
}

function scheduleRoutes({ engine }: AppDeps): RouteDef[] {
  const SCHEDULE: Schema = {
    type: "object",
    properties: {
      id: { type: "string" },
      name: { type: "string" },
      script: { type: "string" },
      cron: { type: "string" },
      params: { type: "object", additionalProperties: { type: "string" } },
      nextRunAt: { type: "string" },
      lastRunAt: { type: "string" },
      lastJobId: { type: "string" },
    },
  };
  return [
    {
      method: "get",
      path: "/v1/adm/schedules",
      operationId: "listSchedules",
      summary: "Schedules with their next run",
      tag: "schedules",
      scope: "jobs:read",
      responses: { 200: { description: "Schedules", schema: { type: "array", items: SCHEDULE } } },
      handler: async (c) => c.json(await engine.store.schedules.list()),
    },
    {
      method: "post",
      path: "/v1/adm/schedules",
      operationId: "createSchedule",
      summary: "Add a cron schedule for a stored script",
      tag: "schedules",
      scope: "admin",
      body: {
        type: "object",
        required: ["name", "script", "cron"],
        properties: {
          name: NAME,
          script: NAME,
          cron: { type: "string", minLength: 1 },
          params: PARAMS,
        },
        additionalProperties: false,
      },
      responses: { 201: { description: "Added", schema: SCHEDULE } },
      handler: async (c, { body }) =>
        c.json(
          await createSchedule(engine, body as { name: string; script: string; cron: string }),
          201,
        ),
    },
    {
      method: "get",
      path: "/v1/adm/schedules/{id}",
      operationId: "getSchedule",
      summary: "One schedule, by ID or name",
      tag: "schedules",
      scope: "jobs:read",
      responses: {
        200: { description: "The schedule", schema: SCHEDULE },
        404: { description: "Not found", schema: ERROR_SCHEMA },
      },
      handler: async (c, { params }) => {
        const s = await engine.store.schedules.get(params.id!);
        if (!s) throw new ApiError(404, "SCHEDULE_NOT_FOUND", `No schedule "${params.id}"`);
        return c.json(s);
      },
    },
    {
      method: "delete",
      path: "/v1/adm/schedules/{id}",
      operationId: "deleteSchedule",
      summary: "Remove a schedule",
      tag: "schedules",
      scope: "admin",
      responses: DELETED,
      handler: async (c, { params }) => {
        if (!(await engine.store.schedules.remove(params.id!))) {
          throw new ApiError(404, "SCHEDULE_NOT_FOUND", `No schedule "${params.id}"`);
        }
        return c.body(null, 204);
      },
    },
  ];
}

function settingsRoutes({ engine }: AppDeps): RouteDef[] {
  return [
    {
      method: "get",
      path: "/v1/adm/settings",
      operationId: "getSettings",
      summary: "Every setting with its current value",
      tag: "settings",
      scope: "admin",
      responses: { 200: { description: "Settings", schema: ANY_OBJECT } },
      handler: async (c) => c.json(await engine.settings()),
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
      handler: async (c, { body }) => {
        const parsed = Object.entries(body as Record<string, unknown>).map(([k, v]) =>
          [k, parseSettingValue(k, v)] as const
        );
        for (const [k, v] of parsed) await engine.store.settings.set(k, v);
        return c.json(await engine.settings(true));
      },
    },
  ];
}
