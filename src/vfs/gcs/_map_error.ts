/**
 * GCS's errors as VfsErrors: the client's `ApiError` carries the HTTP status as its `code`;
 * network failures and the auth library's refusals are told by their messages.
 *
 * @module
 */

import { VfsError } from "../types.ts";

interface ApiErrorLike {
  code?: number | string;
  message?: string;
  errors?: { reason?: string; message?: string }[];
}

/** Maps a client error (an `ApiError` with an HTTP status, or a network error) to a VfsError. */
export function mapGcsError(err: unknown, path?: string): VfsError {
  if (err instanceof VfsError) return err;
  const e = (err ?? {}) as ApiErrorLike;
  const msg = e.message ?? String(err);
  const where = path ? ` (${path})` : "";
  const code = e.code;
  if (code === 404) {
    return new VfsError("NOT_FOUND", `Not found${where}: ${msg}`, { path, cause: err });
  }
  if (code === 401) {
    return new VfsError("AUTH_FAILED", `GCS refused the credentials: ${msg}`, { cause: err });
  }
  if (code === 403) {
    return new VfsError("PERMISSION_DENIED", `GCS denied access${where}: ${msg}`, {
      path,
      cause: err,
    });
  }
  if (code === 408 || code === 429 || (typeof code === "number" && code >= 500)) {
    return new VfsError("IO", `GCS error ${code}${where}: ${msg}`, { retryable: true, cause: err });
  }
  if (code === "ENOTFOUND" || /ENOTFOUND|getaddrinfo/.test(msg)) {
    return new VfsError("CONNECTION", `Cannot resolve the GCS host: ${msg}`, { cause: err });
  }
  if (
    code === "ECONNREFUSED" || code === "ECONNRESET" ||
    /ECONNREFUSED|ECONNRESET|socket hang up|network|connect|premature close|terminated/i.test(msg)
  ) {
    return new VfsError("CONNECTION", `Cannot reach GCS: ${msg}`, { cause: err });
  }
  if (
    /could not load the default credentials|invalid_grant|private key|unauthenticated|DECODER routines|PEM/i
      .test(msg)
  ) {
    return new VfsError("AUTH_FAILED", `GCS credentials: ${msg}`, { cause: err });
  }
  return new VfsError("IO", `GCS error${where}: ${msg}`, { cause: err });
}
