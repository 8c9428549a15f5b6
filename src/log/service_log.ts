/**
 * The service's log: each line to a size-rotated file in the data directory
 * (`DATA/logs/aft.log`) and to standard error (all of it, warnings and errors only, or none),
 * as text (`TIME LEVEL message`) or JSON lines for log shippers. Control characters in a
 * message (a script name holding a newline) are escaped, so one event is one line.
 *
 * @example
 * ```ts
 * const log = createServiceLog({ file: "/var/lib/aft/logs/aft.log", format: "json" });
 * log.info("serving", { listen: "127.0.0.1:44399" });
 * log.close();
 * ```
 * @module
 */

import { DEFAULT_ROTATION, RotatingFile, type RotationOptions } from "./rotating_file.ts";

/** Log levels, lowest first. */
export type Level = "debug" | "info" | "warn" | "error";

/** Options of {@link createServiceLog}. */
export interface ServiceLogOptions {
  /** The log file; none when undefined. */
  file?: string;
  rotation?: RotationOptions;
  format?: "text" | "json";
  /** What also goes to standard error (default: everything). */
  stderr?: "all" | "warn" | "none";
  /** The clock, for tests. */
  now?: () => Date;
}

/** The service's logger. */
export interface ServiceLog {
  log(level: Level, msg: string, fields?: Record<string, unknown>): void;
  info(msg: string, fields?: Record<string, unknown>): void;
  warn(msg: string, fields?: Record<string, unknown>): void;
  error(msg: string, fields?: Record<string, unknown>): void;
  /** Writes to the log file only (for what the caller also prints itself). */
  toFile(level: Level, msg: string): void;
  /** The log file's path, when there is one. */
  readonly file?: string;
  close(): void;
}

// deno-lint-ignore no-control-regex
const CONTROLS = /[\x00-\x1f\x7f]/g;

function oneLine(text: string): string {
  return text.replace(
    CONTROLS,
    (c) =>
      c === "\n"
        ? "\\n"
        : c === "\t"
        ? "\\t"
        : `\\x${c.charCodeAt(0).toString(16).padStart(2, "0")}`,
  );
}

/** Opens the service log. */
export function createServiceLog(opts: ServiceLogOptions = {}): ServiceLog {
  const format = opts.format ?? "text";
  const toStderr = opts.stderr ?? "all";
  const now = opts.now ?? (() => new Date());
  const file = opts.file
    ? new RotatingFile(opts.file, opts.rotation ?? DEFAULT_ROTATION)
    : undefined;
  let fileFailed = false;
  const enc = new TextEncoder();

  const log = (
    level: Level,
    msg: string,
    fields: Record<string, unknown> = {},
    stderr = toStderr,
  ) => {
    const time = now().toISOString();
    const line = format === "json"
      ? JSON.stringify({ time, level, msg, ...fields })
      : `${time} ${level.toUpperCase().padEnd(5)} ${oneLine(msg)}`;
    if (file && !fileFailed) {
      try {
        file.write(line);
      } catch (err) {
        // A full disk must not stop the service: say it once on stderr, go on without the file.
        fileFailed = true;
        Deno.stderr.writeSync(
          enc.encode(
            `${time} ERROR cannot write the log file "${file.path}": ${(err as Error).message}\n`,
          ),
        );
      }
    }
    if (stderr === "all" || (stderr === "warn" && (level === "warn" || level === "error"))) {
      try {
        Deno.stderr.writeSync(enc.encode(line + "\n"));
      } catch { /* no standard error (a Windows service) */ }
    }
  };
  return {
    log,
    info: (m, f) => log("info", m, f),
    warn: (m, f) => log("warn", m, f),
    error: (m, f) => log("error", m, f),
    toFile: (level, m) => log(level, m, {}, "none"),
    file: opts.file,
    close: () => file?.close(),
  };
}
