/**
 * Who calls an operation, and what scopes mean. The REST API authenticates a caller and the
 * engine's operations decide with it (e.g. a job from a file path needs the `files` scope).
 *
 * @module
 */

import type { ApiKeyRecord } from "../store/types.ts";

/** What a key may do: start jobs, read them, start jobs from a file path, administer. */
export const SCOPES = ["jobs:start", "jobs:read", "files", "admin"] as const;
export type Scope = typeof SCOPES[number];

/** An API key as shown: everything but its hash. */
export type ApiKeyView = Omit<ApiKeyRecord, "hash">;

/**
 * Who is calling: an API key; the owner of the data directory (the CLI on this machine, or
 * `aft run`/`aft start` over the service's local channel, whose token only that owner can
 * read); or nobody (open routes).
 */
export type Caller =
  | { kind: "key"; key: ApiKeyView }
  | { kind: "local" }
  | { kind: "anonymous" };

/** True when `caller` may act with `scope` (`admin` covers every scope; `local` has all). */
export function hasScope(caller: Caller, scope: Scope): boolean {
  if (caller.kind === "local") return true;
  if (caller.kind !== "key") return false;
  return caller.key.scopes.includes(scope) || caller.key.scopes.includes("admin");
}
