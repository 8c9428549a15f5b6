/**
 * What every host handler sees of the job it serves.
 *
 * @module
 */

import type { JobSpec, RunnerRequest } from "../../protocol/messages.ts";
import type { LogLevel } from "../../../store/types.ts";
import type { TransferProgress } from "../../../vfs/progress.ts";

/** The job a handler works for, and its ways back to the parent. */
export interface HostContext {
  readonly job: JobSpec;
  /** Aborted when the job is halted: long operations stop and return a failed result. */
  readonly signal: AbortSignal;
  /** Asks the parent (secrets, VFS Library entries). */
  request(req: RunnerRequest): Promise<unknown>;
  log(level: LogLevel, text: string): void;
  progress(p: TransferProgress): void;
  /** Counts bytes moved by the copy engine for the job's record and metrics. */
  addBytes(n: number): void;
  /** Tells the script an event is queued for it (watchers): wakes WaitForHaltSignal. */
  wake(): void;
  /** Resources (VFS connections) released when the job ends. */
  onEnd(cleanup: () => Promise<void>): void;
}

/**
 * A call the script made wrongly (bad argument, unknown VFS name): thrown into the script as
 * an exception, unlike ordinary failures, which become failed result objects.
 */
export class ScriptCallError extends Error {
  override name = "ScriptCallError";
}
