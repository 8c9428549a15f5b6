/**
 * What the engine needs of a runner, wherever it runs: a runner process of the service's pool
 * (`service/runner_pool.ts`) or `aft run`'s own process (`runner/in_process.ts`).
 *
 * @module
 */

import type { ParentMessage, RunnerMessage } from "./messages.ts";

/**
 * Takes the messages of a runner's current job. It may return a promise to say it is behind:
 * no further message is read from the runner until it settles.
 */
export type RunnerListener = (m: RunnerMessage) => Promise<void> | void;

/**
 * What a job needs of its runner, wherever the runner is: a process of its own
 * (`RunnerProcess`), or this process (`InProcessRunner` in `runner/in_process.ts`, for `aft run`).
 */
export interface Runner {
  /** The job memory limit it enforces (setting jobMemoryMiB). */
  readonly memoryMiB: number;
  /** Settles when the runner has ended (its process exited, or it was stopped). */
  readonly exited: Promise<Deno.CommandStatus>;
  readonly alive: boolean;
  listen(fn: RunnerListener | undefined): void;
  send(m: ParentMessage): void;
  /** Stops it at once, whatever its script does. */
  kill(): void;
  /** One sentence on why it ended, from its status. */
  describeExit(status?: Deno.CommandStatus): string;
}

/** Where jobs get their runners: a pool of processes, or this process. */
export interface Runners {
  /** A ready runner with the memory limit `memoryMiB`. */
  acquire(memoryMiB: number): Promise<Runner>;
  /** Returns a runner after a job; `reusable` false when it may not take another. */
  release(r: Runner, reusable: boolean): void;
  /** Starts one ahead of a job about to come. */
  warm(memoryMiB: number): void;
  close(): Promise<void>;
}
