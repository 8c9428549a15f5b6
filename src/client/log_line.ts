/**
 * A job's log line as `aft run`, `aft start --wait` and `aft jobs log` print it. Apart from the
 * service client (`service.ts`), so that `aft run` without a service does not load the client.
 *
 * @module
 */

import { logLineText } from "../engine/log_text.ts";
import { escapeControls } from "../engine/names.ts";
import type { LogLine } from "../store/types.ts";

/** A log line as the API sends it. */
export type LogLineView = Omit<LogLine, "jobId">;

/**
 * A log line as `aft run` prints it, without raw control characters from the log and with its
 * further lines indented (`logLineText`).
 */
export function formatLine(l: LogLineView): string {
  return logLineText(l);
}

/**
 * The line `aft run` and `aft start --wait` end a job with: `aft: job ID STATUS`, then `why` (its
 * error, or its exit code) escaped like a log line: a job's error may quote what a server sent.
 */
export function jobEndLine(id: string, status: string, why?: string | null): string {
  return `aft: job ${id} ${status}${why ? `: ${escapeControls(why, { keepLines: true })}` : ""}`;
}

/** Prints a log line the way `aft run` does. */
export function printLine(l: LogLineView): void {
  console.log(formatLine(l));
}
