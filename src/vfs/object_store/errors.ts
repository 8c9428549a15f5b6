/**
 * Error mapping the object stores share: a service's own error codes looked up in its table,
 * then HTTP status, network and TLS failures, the same way for every store. A backend's
 * `_map_error.ts` gives its dialect (code table, where the code and status sit in its client's
 * errors) and gets one sentence per failure, with `retryable` set for transient ones.
 *
 * @module
 */

import { VfsError } from "../types.ts";

/** What a service's error code means. */
export type ErrorMeaning =
  | "notFound"
  | "bucketMissing"
  | "auth"
  | "denied"
  | "cancelled"
  | "timeout"
  | "busy"
  | "unsupported";

/** The facts of one native error that the mapping reads. */
export interface ErrorFacts {
  /** The service's error codes (first one found in the table wins). */
  codes: (string | undefined)[];
  /** HTTP status, when the error came with a response. */
  status?: number;
  /** One line of text. */
  message: string;
}

/** How one service's client reports errors. */
export interface ErrorDialect {
  /** The service in messages: `S3`. */
  service: string;
  /** What a bucket is called: `bucket`, `container`. */
  bucket: string;
  /** The credentials, named when they are refused. */
  credentials: string;
  codes: Readonly<Record<string, ErrorMeaning>>;
  facts(err: unknown): ErrorFacts;
}

const NETWORK_CODES = new Set([
  "ECONNREFUSED",
  "ECONNRESET",
  "EPIPE",
  "ETIMEDOUT",
  "EHOSTUNREACH",
  "ENETUNREACH",
  "ECONNABORTED",
  "EAI_AGAIN",
  "ENOTFOUND",
]);

interface Nested {
  code?: unknown;
  message?: unknown;
  errors?: unknown[];
  cause?: unknown;
}

/** The network error code (`ECONNRESET`, ...) anywhere in an error, its causes and aggregates. */
export function networkCode(err: unknown, depth = 0): string | undefined {
  if (!err || typeof err !== "object" || depth > 4) return undefined;
  const e = err as Nested;
  if (typeof e.code === "string" && NETWORK_CODES.has(e.code)) return e.code;
  for (const inner of e.errors ?? []) {
    const c = networkCode(inner, depth + 1);
    if (c) return c;
  }
  const m = /\b(E[A-Z_]{4,})\b/.exec(typeof e.message === "string" ? e.message : "");
  if (m && NETWORK_CODES.has(m[1]!)) return m[1];
  return networkCode(e.cause, depth + 1);
}

/** The `code` of a TLS error anywhere in an error's causes. */
function tlsCode(err: unknown, depth = 0): string {
  if (!err || typeof err !== "object" || depth > 4) return "";
  const e = err as Nested;
  if (typeof e.code === "string" && /CERT|SELF_SIGNED|UNABLE_TO_VERIFY/.test(e.code)) return e.code;
  return tlsCode(e.cause, depth + 1);
}

/** Maps a store client's error, or a network or stream error, to a {@linkcode VfsError}. */
export function mapStoreError(d: ErrorDialect, err: unknown, path?: string): VfsError {
  if (err instanceof VfsError) return err;
  const { codes, status, message: msg } = d.facts(err);
  const where = path ? `: "${path}"` : "";
  const opts = { cause: err, path };
  const s = d.service;
  const meaning = codes.map((c) => c === undefined ? undefined : d.codes[c]).find(Boolean) ??
    (status === 404 ? "notFound" : status === 403 ? "denied" : undefined);
  switch (meaning) {
    case "notFound":
      return new VfsError("NOT_FOUND", `No such file or folder${where}`, opts);
    case "bucketMissing":
      return new VfsError("NOT_FOUND", `The ${d.bucket} does not exist (${msg})`, opts);
    case "auth":
      return new VfsError(
        "AUTH_FAILED",
        `${s} refused the credentials (${d.credentials}): ${msg}`,
        opts,
      );
    case "denied":
      return new VfsError("PERMISSION_DENIED", `Access denied by ${s}${where}: ${msg}`, opts);
    case "cancelled":
      return new VfsError("CANCELLED", `Cancelled${where}`, opts);
    case "timeout":
      return new VfsError("TIMEOUT", `${s} request timed out${where}: ${msg}`, opts);
    case "busy":
      return new VfsError("IO", `${s} is busy or failing${where}: ${msg}`, {
        ...opts,
        retryable: true,
      });
    case "unsupported":
      return new VfsError("NOT_SUPPORTED", `The ${s} server does not support this${where}`, opts);
  }
  if (status === 401) {
    return new VfsError("AUTH_FAILED", `${s} refused the credentials: ${msg}`, opts);
  }
  const net = networkCode(err);
  if (net === "ENOTFOUND") {
    return new VfsError("CONNECTION", `${s} host name not found: ${msg}`, {
      ...opts,
      retryable: false,
    });
  }
  if (net === "ETIMEDOUT") {
    return new VfsError("TIMEOUT", `${s} connection timed out: ${msg}`, opts);
  }
  if (/certificate|CERT_|SELF_SIGNED|UNABLE_TO_VERIFY|TLS|SSL/i.test(`${tlsCode(err)} ${msg}`)) {
    return new VfsError("CONNECTION", `TLS failed with the ${s} server: ${msg}`, {
      ...opts,
      retryable: false,
    });
  }
  if (
    net || codes.includes("REQUEST_SEND_ERROR") ||
    /socket hang up|network|connect|ECONNRESET|terminated|premature close/i.test(msg)
  ) {
    return new VfsError("CONNECTION", `${s} connection failed${where}: ${msg}`, opts);
  }
  if (status !== undefined && status >= 500) {
    return new VfsError("IO", `${s} server error ${status}${where}: ${msg}`, {
      ...opts,
      retryable: true,
    });
  }
  return new VfsError("IO", `${s} error${where}: ${msg}`, opts);
}
