/**
 * Jobs run in this process rather than by a service's queue: `aft run` without a service on
 * its data directory. The job is recorded as running, owned by this process (`owner.ts`), then
 * run in a Worker of this process (`runtime/runner/in_process.ts`, which says why and how
 * the memory limit is kept), or, with `AFT_RUNNER_PROCESS=1`, on a runner process as the
 * service runs its jobs.
 *
 * @module
 */

import type { JobRecord, JobView, LogLine } from "../store/types.ts";
import type { Runners } from "../runtime/protocol/runner.ts";
import { EngineError, guarded } from "./errors.ts";
import type { JobProgress, JobSource } from "./execute.ts";
import { jobSource } from "./job_source.ts";
import { jobView } from "./jobs.ts";
import type { EngineCore } from "./types.ts";
import { mark } from "../timings.ts";

export interface ExecuteHereOptions {
  /** The script, when the caller has read it already (and names it for stack traces). */
  source?: JobSource;
  /** Aborting it halts the job. */
  signal?: AbortSignal;
  onLog?(line: LogLine): void;
  onProgress?(p: JobProgress): void;
}

export interface LocalRunOps {
  /** Starts a runner process ahead of a job about to be run here. */
  warm(): Promise<void>;
  /**
   * Runs a job that `submit({ here: true })` recorded, to its end, in this process; returns
   * the finished job.
   */
  execute(id: string, opts?: ExecuteHereOptions): Promise<JobView>;
  /** Records a job run here as halted at once, without waiting for it (a second Ctrl-C). */
  abandon(id: string, reason: string): Promise<void>;
}

/** True when jobs run here go to a runner process (`AFT_RUNNER_PROCESS=1`), not a Worker here. */
function runnerProcesses(): boolean {
  try {
    return Deno.env.get("AFT_RUNNER_PROCESS") === "1";
  } catch {
    return false;
  }
}

/** Jobs run by this process outside a queue. */
export function createLocalRunner(
  core: EngineCore,
  opts: { owner: string; find(id: string): Promise<JobRecord>; beforeFirstRun(): Promise<void> },
) {
  // Loaded when a job runs here, so commands that run none do not load the runtime.
  let pool: Runners | undefined;
  const getPool = async () =>
    pool ??= runnerProcesses()
      ? new (await import("../runtime/service/runner_pool.ts")).RunnerPool()
      : new (await import("../runtime/runner/in_process.ts")).InProcessRunners();
  /**
   * Jobs of this node's `aft run` processes that ended unexpectedly are failed once, by the
   * first job run here: while its script starts (the runner has the job by then, and the
   * script's Worker works on its own thread), else when the job ends before it could start.
   * The job returns only after it, so a failure to do it is still the job's caller's to see.
   */
  let tidy: Promise<void> | undefined;
  const startTidy = () => {
    tidy ??= opts.beforeFirstRun().then(() => mark("jobs of gone processes checked"));
    return tidy;
  };
  const runs = new Map<string, AbortController>();
  const executeHere = async (id: string, o: ExecuteHereOptions, tidies: boolean) => {
    const job = await opts.find(id);
    if (job.status !== "running" || job.owner !== opts.owner) {
      throw new EngineError("INVALID_REQUEST", `Job ${id} is not one this process runs`);
    }
    const src = o.source ?? await jobSource(core, job);
    if (typeof src === "string") throw new EngineError("FILE_NOT_FOUND", src);
    const abort = new AbortController();
    if (o.signal?.aborted) abort.abort();
    o.signal?.addEventListener("abort", () => abort.abort(), { once: true });
    runs.set(id, abort);
    try {
      const { executeJob } = await import("./execute.ts");
      mark("job execution loaded");
      return jobView(
        await executeJob(core, job, src, {
          pool: await getPool(),
          signal: abort.signal,
          onLog: o.onLog,
          onProgress: o.onProgress,
          // After the runner's own turn with the start message (an in-process runner takes it
          // in a microtask): the Worker has the script before this thread turns to the store.
          onStarted: tidies
            ? () => queueMicrotask(() => void startTidy().catch(() => {}))
            : undefined,
        }),
      );
    } finally {
      runs.delete(id);
    }
  };
  const ops: LocalRunOps = guarded({
    async warm() {
      (await getPool()).warm((await core.settings()).jobMemoryMiB);
    },
    async execute(id: string, o: ExecuteHereOptions = {}) {
      const tidies = tidy === undefined;
      try {
        return await executeHere(id, o, tidies);
      } finally {
        if (tidies) await startTidy();
      }
    },
    async abandon(id: string, reason: string) {
      await core.store.jobs.update(id, {
        status: "halted",
        exitCode: 1,
        error: reason,
        finishedAt: new Date().toISOString(),
      });
    },
  });
  return {
    ops,
    /** Halts a job run here; false when this process runs none with that ID. */
    halt(id: string): boolean {
      const run = runs.get(id);
      run?.abort();
      return run !== undefined;
    },
    close: async () => await pool?.close(),
  };
}
