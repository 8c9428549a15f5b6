/**
 * Errors of the engine's operations. Each has a stable `code` for machines, and each code one
 * `kind`, which every surface translates in one place: the REST API into an HTTP status
 * (`api/api_error.ts`), the CLI into an exit code (`errors.ts`, `describeError`). Messages are one
 * sentence for people.
 *
 * @example
 * ```ts
 * throw new EngineError("SCRIPT_NOT_FOUND", `No stored script named "x"`);
 * ```
 * @module
 */

import { StoreError } from "../store/types.ts";

/** What went wrong, as far as a caller needs to know to react. */
export type ErrorKind =
  /** The request itself is wrong (bad field, bad name, bad cron): fix it and retry. */
  | "invalid"
  /** No or an unknown credential. */
  | "unauthorized"
  /** The caller is known but may not do this (address, scope, folder). */
  | "forbidden"
  /** A setting turns this off; an administrator can turn it on. */
  | "refused"
  | "not_found"
  /** It clashes with what exists (a name taken, a job already finished, a script in use). */
  | "conflict"
  /** Not now: the service is stopping, this process runs no jobs, or the store cannot be
   * reached. */
  | "unavailable"
  /** Too many failed attempts (sign-ins, keys) from this caller or on this account: wait. */
  | "throttled"
  /** The disk holding the data directory is full. */
  | "storage_full"
  /** The operation ran and failed for a reason outside the request (a server that does not
   * answer, a data directory that cannot be made). */
  | "failed";

/** Every code with its kind. A code never changes its kind. */
export const ERROR_KINDS = {
  INVALID_REQUEST: "invalid",
  INVALID_NAME: "invalid",
  INVALID_CRON: "invalid",
  INVALID_CURSOR: "invalid",
  INVALID: "invalid",
  UNAUTHORIZED: "unauthorized",
  SIGNIN_FAILED: "unauthorized",
  TOTP_INVALID: "unauthorized",
  PASSWORD_WRONG: "unauthorized",
  SETUP_CODE_INVALID: "unauthorized",
  SETUP_LOOPBACK_ONLY: "forbidden",
  WEAK_PASSWORD: "invalid",
  TOO_MANY_FAILURES: "throttled",
  ADDRESS_NOT_ALLOWED: "forbidden",
  MISSING_SCOPE: "forbidden",
  PATH_NOT_ALLOWED: "forbidden",
  CLI_RUN_OFF: "refused",
  FILE_JOBS_OFF: "refused",
  SERVICE_RUNNING: "refused",
  NEWER_SCHEMA: "refused",
  MASTER_KEY_MISMATCH: "refused",
  NOT_FOUND: "not_found",
  SCRIPT_NOT_FOUND: "not_found",
  JOB_NOT_FOUND: "not_found",
  FILE_NOT_FOUND: "not_found",
  VFS_NOT_FOUND: "not_found",
  SECRET_NOT_FOUND: "not_found",
  APIKEY_NOT_FOUND: "not_found",
  SCHEDULE_NOT_FOUND: "not_found",
  ADMIN_NOT_FOUND: "not_found",
  NODE_NOT_FOUND: "not_found",
  ALREADY_EXISTS: "conflict",
  JOB_FINISHED: "conflict",
  SCRIPT_IN_USE: "conflict",
  FOLDER_NOT_EMPTY: "conflict",
  LAST_ADMIN: "conflict",
  SETUP_DONE: "conflict",
  TOTP_NOT_PENDING: "conflict",
  SHUTTING_DOWN: "unavailable",
  NO_QUEUE: "unavailable",
  STORE_UNAVAILABLE: "unavailable",
  STORAGE_FULL: "storage_full",
  VFS_FAILED: "failed",
  MAIL_FAILED: "failed",
  DATA_DIR: "failed",
  MASTER_KEY: "failed",
  STORE_CORRUPT: "failed",
} as const satisfies Record<string, ErrorKind>;

/** A stable error code. */
export type ErrorCode = keyof typeof ERROR_KINDS;

/** The kind of a code; undefined for a code this build does not know (from a newer service). */
export function kindOfCode(code: string): ErrorKind | undefined {
  return Object.hasOwn(ERROR_KINDS, code) ? ERROR_KINDS[code as ErrorCode] : undefined;
}

/** An operation's failure: a stable code, its kind, one sentence. */
export class EngineError extends Error {
  override name = "EngineError";
  readonly code: ErrorCode;
  readonly kind: ErrorKind;
  /** For `throttled`: seconds until a new attempt may be made. */
  readonly retryAfter?: number;
  constructor(
    code: ErrorCode,
    message: string,
    options?: { cause?: unknown; retryAfter?: number },
  ) {
    super(message, options);
    this.code = code;
    this.kind = ERROR_KINDS[code];
    if (options?.retryAfter !== undefined) this.retryAfter = options.retryAfter;
  }

  /**
   * The error a service answered with, for its clients: its code keeps the kind it has; a
   * code this build does not know gets `fallback` (the kind the HTTP status stands for).
   */
  static remote(code: string, message: string, fallback: ErrorKind): EngineError {
    const err = new EngineError("INVALID", message);
    Object.defineProperties(err, {
      code: { value: code },
      kind: { value: kindOfCode(code) ?? fallback },
    });
    return err;
  }
}

/**
 * The engine's view of a store failure: StoreError becomes EngineError, anything else is
 * passed on. Every operation's result goes through this (see `guarded`).
 */
export function fromStoreError(err: unknown): unknown {
  if (!(err instanceof StoreError)) return err;
  switch (err.code) {
    case "ALREADY_EXISTS":
      return new EngineError("ALREADY_EXISTS", err.message, { cause: err });
    case "NOT_FOUND":
      return new EngineError("NOT_FOUND", err.message, { cause: err });
    case "INVALID":
      return new EngineError("INVALID", err.message, { cause: err });
    case "UNAVAILABLE":
      return new EngineError("STORE_UNAVAILABLE", err.message, { cause: err });
    case "NEWER_SCHEMA":
      return new EngineError("NEWER_SCHEMA", err.message, { cause: err });
    case "FULL":
      return new EngineError(
        "STORAGE_FULL",
        "The disk holding the data directory is full: nothing was recorded; free some space and retry",
        { cause: err },
      );
    default:
      return new EngineError("STORE_CORRUPT", err.message, { cause: err });
  }
}

/**
 * Wraps every method of an operations object so that store failures reach callers as
 * EngineError (one translation for all operations).
 */
export function guarded<T extends object>(ops: T): T {
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(ops)) {
    out[k] = typeof v !== "function" ? v : async (...args: unknown[]) => {
      try {
        return await v.apply(ops, args);
      } catch (err) {
        throw fromStoreError(err);
      }
    };
  }
  return out as T;
}
