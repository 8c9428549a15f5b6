/**
 * Route definitions: each resource's file in `routes/` returns a list of them, which both
 * registers the Hono handlers (`app.ts`) and generates the OpenAPI document (`openapi.ts`).
 *
 * @module
 */

import type { Context } from "hono";
import type { Actor, Caller, Engine, Scope } from "../engine/mod.ts";
import type { FailureLimiter } from "./limiter.ts";
import type { Schema } from "./schema.ts";

/** What the routes are built over. */
export interface AppDeps {
  engine: Engine;
  /** Secret of the local channel (`aft run` delegation); read from DATA/service.token. */
  localToken?: string;
  limiter?: FailureLimiter;
  /** The service's log, for what an operator should see (an address locked out). */
  log?: (msg: string) => void;
}

/** An HTTP method, lower case as OpenAPI writes it. */
export type Method = "get" | "post" | "put" | "patch" | "delete";

/** What a handler gets besides the Hono context. */
export interface RouteInput {
  body: unknown;
  params: Record<string, string>;
  query: Record<string, string>;
  caller: Caller;
  /**
   * Who the caller is in the audit log: the API key (`apikey`, its name), the local channel of
   * `aft run` (`local`), with the caller's address. Changes go through `engine.as(actor)`.
   */
  actor: Actor;
  ip: string;
}

/** One route: its handler and its description. */
export interface RouteDef {
  method: Method;
  /** OpenAPI form: `/v1/adm/jobs/{id}`. */
  path: string;
  operationId: string;
  summary: string;
  tag: string;
  /** Scope a key needs; `null`: no authentication; `"local"`: the local channel only. */
  scope: Scope | null | "local";
  /** Also open without a key to callers on loopback (metrics). */
  loopbackOpen?: boolean;
  body?: Schema;
  /**
   * The body limit of this route, when it is not the API's 1 MiB (`BODY_LIMIT`): its bytes, and
   * what a 413 tells the caller to do instead.
   */
  bodyLimit?: { bytes: number; advice: string };
  /**
   * The body is not JSON but a stream the handler reads itself (`c.req.raw.body`), of any size:
   * the 1 MiB limit does not apply. Described in OpenAPI with this content type.
   */
  rawBody?: { contentType: string; description: string };
  query?: Record<string, Schema>;
  responses: Record<number, { description: string; schema?: Schema; contentType?: string }>;
  handler(c: Context, input: RouteInput): Promise<Response> | Response;
}
