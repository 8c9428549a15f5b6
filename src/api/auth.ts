/**
 * Authentication of API requests: the API key (`X-API-Key`, checked by the engine), the local
 * channel of `aft run` on the service's machine (`X-Aft-Local-Token`), the route's scope, and
 * the limiter of failed attempts (`limiter.ts`).
 *
 * The limiter throttles failures, not addresses: once an address has failed too often, its
 * further failures get 429 with Retry-After, while a valid key from it still works. The counts
 * are kept in the store, shared by every node on it. A stale
 * cron entry with an old key on one host thus cannot lock out every other job start from that
 * host; and a valid key (256 random bits) is not something a blocked guesser can find.
 *
 * @module
 */

import type { Context } from "hono";
import {
  type Caller,
  type Engine,
  EngineError,
  hasScope,
  isLoopback,
  sameHash,
} from "../engine/mod.ts";
import { ApiError } from "./api_error.ts";
import type { FailureLimiter } from "./limiter.ts";
import type { RouteDef } from "./route_def.ts";

export { FailureLimiter, MemoryFailures } from "./limiter.ts";

/**
 * Who calls route `r` from address `ip`, or an ApiError: 401 (no or unknown key, bad local
 * token), 403 (address not allowed, scope missing), 429 (failures from `ip` over the limit).
 */
export async function authenticate(
  c: Context,
  r: RouteDef,
  ip: string,
  deps: { engine: Engine; localToken?: string },
  limiter: FailureLimiter,
): Promise<Caller> {
  if (r.scope === null) return { kind: "anonymous" };
  /** Counts a failure; past the limit it is answered with 429 instead of `err`. */
  const failed = async (err: ApiError): Promise<ApiError> => {
    const wait = await limiter.fail(ip);
    if (wait === 0) return err;
    return new ApiError(
      429,
      "TOO_MANY_FAILURES",
      `Too many failed authentications from ${ip}: try again in ${wait} s`,
      { "Retry-After": String(wait) },
    );
  };
  const local = c.req.header("X-Aft-Local-Token");
  if (local !== undefined) {
    if (deps.localToken && isLoopback(ip) && sameHash(local, deps.localToken)) {
      return { kind: "local" };
    }
    throw await failed(new ApiError(401, "UNAUTHORIZED", "The local channel token is not valid"));
  }
  if (r.scope === "local") {
    throw new ApiError(401, "UNAUTHORIZED", "This route is for aft run on the service's machine");
  }
  const key = c.req.header("X-API-Key");
  if (!key) {
    if (r.loopbackOpen && isLoopback(ip)) return { kind: "anonymous" };
    throw await failed(
      new ApiError(401, "UNAUTHORIZED", "An API key is required (header X-API-Key)"),
    );
  }
  let caller: Caller;
  try {
    caller = { kind: "key", key: await deps.engine.apikeys.authenticate(key, ip) };
  } catch (err) {
    if (err instanceof EngineError && err.code === "UNAUTHORIZED") {
      throw await failed(new ApiError(401, err.code, err.message));
    }
    if (err instanceof EngineError && err.code === "ADDRESS_NOT_ALLOWED") {
      throw await failed(new ApiError(403, err.code, err.message));
    }
    throw err;
  }
  if (!hasScope(caller, r.scope)) {
    throw new ApiError(
      403,
      "MISSING_SCOPE",
      `The API key "${caller.kind === "key" ? caller.key.name : ""}" lacks the scope ${r.scope}`,
    );
  }
  return caller;
}
