/**
 * Errors the CLI turns into an exit code and one sentence on stderr (see `main.ts`).
 *
 * Exit codes: 0 success; 1 the job or script failed; 2 usage error; 3 cannot reach or
 * authenticate to the service; 4 refused by settings.
 *
 * @module
 */

export const EXIT_OK = 0;
export const EXIT_FAILED = 1;
export const EXIT_USAGE = 2;
export const EXIT_SERVICE = 3;
export const EXIT_REFUSED = 4;

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
