/**
 * The API's errors and its one error boundary: an EngineError's kind becomes an HTTP status
 * here and nowhere else; the body is always `{"error":{"code","message"}}`.
 *
 * @module
 */

import type { Context } from "hono";
import type { ContentfulStatusCode } from "hono/utils/http-status";
import { EngineError, type ErrorKind } from "../engine/mod.ts";

/** An error of the HTTP layer itself (authentication, limits, malformed requests). */
export class ApiError extends Error {
  constructor(
    readonly status: 400 | 401 | 403 | 404 | 409 | 411 | 413 | 415 | 429 | 500 | 503 | 507,
    readonly code: string,
    message: string,
    readonly headers: Record<string, string> = {},
  ) {
    super(message);
  }
}

/** The HTTP status of each kind of engine error. */
export const STATUS_OF_KIND: Readonly<Record<ErrorKind, ContentfulStatusCode>> = {
  invalid: 400,
  unauthorized: 401,
  forbidden: 403,
  refused: 403,
  not_found: 404,
  conflict: 409,
  unavailable: 503,
  storage_full: 507,
  failed: 500,
};

/** The JSON error response for anything a handler or middleware threw. */
export function errorResponse(c: Context, err: unknown): Response {
  if (err instanceof ApiError) {
    for (const [k, v] of Object.entries(err.headers)) c.header(k, v);
    return c.json({ error: { code: err.code, message: err.message } }, err.status);
  }
  if (err instanceof EngineError) {
    const message = err.kind === "storage_full"
      ? "The service's disk is full: the request was not recorded; free space on the service's machine and retry"
      : err.message;
    if (err.kind === "storage_full" || err.kind === "failed") {
      console.error(`aft serve: ${c.req.method} ${c.req.path}: ${err.message}`);
    }
    return c.json({ error: { code: err.code, message } }, STATUS_OF_KIND[err.kind]);
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
