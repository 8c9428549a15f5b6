/**
 * Errors the CLI turns into an exit code and one sentence on stderr (see `cli.ts`): its own
 * (`CliError` and kin) and the engine's (`EngineError`, by kind, in `describeError`: the one place
 * where a kind becomes an exit code).
 *
 * Exit codes: 0 success; 1 the job or script failed (or another failure); 2 usage error; 3
 * cannot reach or authenticate to the service; 4 refused by settings; 5 not found.
 *
 * @module
 */

import { EngineError, type ErrorKind } from "./engine/errors.ts";
import { escapeControls } from "./engine/names.ts";

export const EXIT_OK = 0;
export const EXIT_FAILED = 1;
export const EXIT_USAGE = 2;
export const EXIT_SERVICE = 3;
export const EXIT_REFUSED = 4;
export const EXIT_NOT_FOUND = 5;

const EXIT_OF_KIND: Readonly<Record<ErrorKind, number>> = {
  invalid: EXIT_USAGE,
  unauthorized: EXIT_SERVICE,
  forbidden: EXIT_SERVICE,
  unavailable: EXIT_SERVICE,
  throttled: EXIT_SERVICE,
  refused: EXIT_REFUSED,
  not_found: EXIT_NOT_FOUND,
  conflict: EXIT_FAILED,
  storage_full: EXIT_FAILED,
  failed: EXIT_FAILED,
};

/** The exit code and the sentence for an error that reached the top of a command. */
export function describeError(err: unknown): { exitCode: number; message: string } {
  if (err instanceof CliError) return { exitCode: err.exitCode, message: err.message };
  if (err instanceof EngineError) return { exitCode: EXIT_OF_KIND[err.kind], message: err.message };
  return { exitCode: EXIT_FAILED, message: err instanceof Error ? err.message : String(err) };
}

/**
 * The CLI's one error boundary: prints `aft: <one sentence>` on stderr (control characters
 * escaped; with `debug`, the cause or stack too) and returns the exit code of the error's kind.
 */
export function reportError(err: unknown, debug: boolean): number {
  // The reader of our output went away (`aft audit --csv | head -1`): nothing to tell it; the
  // exit code is the one a program killed by SIGPIPE has, as `ls | head` gives.
  if (err instanceof Deno.errors.BrokenPipe) return 141;
  const { exitCode, message } = describeError(err);
  console.error(`aft: ${escapeControls(message)}`);
  if (debug) console.error(err instanceof CliError ? err.cause ?? err : err);
  return exitCode;
}

/** An error meant for the user: `message` is one sentence, `exitCode` the process exit code. */
export class CliError extends Error {
  override name = "CliError";
  readonly exitCode: number;
  constructor(message: string, exitCode = EXIT_FAILED, options?: { cause?: unknown }) {
    super(message, options);
    this.exitCode = exitCode;
  }
}

/** Bad flags, bad JSON in `--params`, a missing argument: exit code 2. */
export class UsageError extends CliError {
  override name = "UsageError";
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, EXIT_USAGE, options);
  }
}

/** Refused by a setting (e.g. Allow CLI Run off): exit code 4. */
export class RefusedError extends CliError {
  override name = "RefusedError";
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, EXIT_REFUSED, options);
  }
}

/** Cannot reach or authenticate to the service: exit code 3. */
export class ServiceError extends CliError {
  override name = "ServiceError";
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, EXIT_SERVICE, options);
  }
}
