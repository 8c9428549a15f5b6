/**
 * The log of `aft serve`: `DATA/logs/aft.log` rotated by size (`--log-max-size`, default
 * 10 MiB; `--log-files` old files kept, default 5), text or JSON lines (`--log-format`), and
 * standard error (warnings and errors only with `--quiet`).
 *
 * @module
 */

import { join } from "node:path";
import { UsageError } from "../errors.ts";
import { createServiceLog, type ServiceLog } from "../log/service_log.ts";
import { DEFAULT_ROTATION, parseSize } from "../log/rotating_file.ts";

/** The log flags of `aft serve`. */
export interface ServeLogOptions {
  /** `--log-format text|json`. */
  logFormat?: string;
  /** `--log-max-size SIZE`: largest size of one log file. */
  logMaxSize?: string;
  /** `--log-files N`: rotated files kept. */
  logFiles?: string;
  /** `--quiet`: only warnings and errors on standard error. */
  quiet?: boolean;
}

/** Where the service's log file is in `dataDir`. */
export function serviceLogFile(dataDir: string): string {
  return join(dataDir, "logs", "aft.log");
}

/** Opens the service log of `dataDir` as the flags say (`stderr: false` for a Windows service). */
export function openServeLog(
  dataDir: string,
  opts: ServeLogOptions,
  where: { stderr: boolean },
): ServiceLog {
  const format = opts.logFormat ?? "text";
  if (format !== "text" && format !== "json") {
    throw new UsageError(`--log-format takes text or json, not "${format}"`);
  }
  const maxBytes = opts.logMaxSize === undefined
    ? DEFAULT_ROTATION.maxBytes
    : parseSize(opts.logMaxSize);
  if (maxBytes === undefined || maxBytes < 1024) {
    throw new UsageError(
      `--log-max-size takes a size of at least 1 KiB such as 10MiB, not "${opts.logMaxSize}"`,
    );
  }
  const keep = opts.logFiles === undefined ? DEFAULT_ROTATION.keep : Number(opts.logFiles);
  if (!Number.isInteger(keep) || keep < 0 || keep > 1000) {
    throw new UsageError(`--log-files takes a whole number from 0 to 1000, not "${opts.logFiles}"`);
  }
  return createServiceLog({
    file: serviceLogFile(dataDir),
    rotation: { maxBytes, keep },
    format,
    stderr: !where.stderr ? "none" : opts.quiet ? "warn" : "all",
  });
}
