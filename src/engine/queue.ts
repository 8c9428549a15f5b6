/**
 * The service's job queue. A job is a row committed as `queued` before the API answers; the
 * queue claims queued rows atomically (so two processes on one database never run the same job),
 * up to `maxConcurrentJobs` at once, and runs each through `executeJob` on a pooled runner
 * process. Halt goes through an AbortController per running job; a queued job is halted in
 * place. At start-up, jobs this node left `running` (the process died) become `failed`.
 *
 * @module
 */

import { resolve } from "node:path";
import type { JobRecord } from "../store/types.ts";
import { RunnerPool } from "../runtime/service/runner_pool.ts";
import { executeJob } from "./execute.ts";
import type { Engine } from "./types.ts";

const POLL_MS = 1000;
const PURGE_EVERY_MS = 3600_000;

export interface QueueStats {
  running: number;
  queued: number;
  finished: { status: string; seconds: number }[];
}

export class JobQueue {
  readonly #engine: Engine;
  readonly #pool: RunnerPool;
  readonly #running = new Map<string, { abort: AbortController; done: Promise<void> }>();
  #stopping = false;
  #pumping = false;
  #again = false;
  #timer?: ReturnType<typeof setInterval>;
  #purgeTimer?: ReturnType<typeof setInterval>;
  /** Durations of finished jobs since the last scrape, for the metrics histogram. */
  readonly durations: { status: string; seconds: number }[] = [];
  readonly #log: (msg: string) => void;

  constructor(engine: Engine, opts: { log?: (msg: string) => void; maxIdleRunners?: number } = {}) {
    this.#engine = engine;
    this.#pool = new RunnerPool({ maxIdle: opts.maxIdleRunners ?? 4 });
    this.#log = opts.log ?? (() => {});
  }

  /** Recovers jobs a dead process left running, then starts taking jobs. */
  async start(): Promise<void> {
    const failed = await this.#engine.store.jobs.failRunning(
      this.#engine.node,
      "The service stopped while this job was running (process ended unexpectedly); the job did not finish",
    );
    if (failed.length > 0) {
      this.#log(`marked ${failed.length} job(s) left running by a previous process as failed`);
    }
    await this.purge();
    this.#timer = setInterval(() => this.wake(), POLL_MS);
    this.#purgeTimer = setInterval(() => this.purge(), PURGE_EVERY_MS);
    this.wake();
  }

  /** True once `stop()` was called: no new jobs are taken. */
  get stopping(): boolean {
    return this.#stopping;
  }

  /** Number of jobs running now in this process. */
  get runningCount(): number {
    return this.#running.size;
  }

  /** Looks for queued jobs now (called after a job is created, and on a timer). */
  wake(): void {
    if (this.#stopping) return;
    if (this.#pumping) {
      this.#again = true;
      return;
    }
    this.#pumping = true;
    this.#pump().catch((err) => this.#log(`job queue: ${String(err)}`)).finally(() => {
      this.#pumping = false;
      if (this.#again) {
        this.#again = false;
        this.wake();
      }
    });
  }

  async #pump(): Promise<void> {
    const { maxConcurrentJobs } = await this.#engine.settings();
    while (!this.#stopping && this.#running.size < maxConcurrentJobs) {
      const job = await this.#engine.store.jobs.claim(this.#engine.node);
      if (!job) return;
      this.#run(job);
    }
  }

  #run(job: JobRecord): void {
    const abort = new AbortController();
    const started = performance.now();
    const done = (async () => {
      try {
        const src = await this.#source(job);
        if (typeof src === "string") {
          await this.#fail(job, src);
          return;
        }
        const end = await executeJob(this.#engine, job, src, {
          pool: this.#pool,
          signal: abort.signal,
        });
        this.durations.push({ status: end.status, seconds: (performance.now() - started) / 1000 });
        if (this.durations.length > 10_000) this.durations.splice(0, 5_000);
      } catch (err) {
        this.#log(`job ${job.id}: ${String(err)}`);
        await this.#fail(job, `Internal error: ${(err as Error).message}`).catch(() => {});
      }
    })().finally(() => {
      this.#running.delete(job.id);
      this.wake();
    });
    this.#running.set(job.id, { abort, done });
  }

  async #source(job: JobRecord): Promise<{ source: string; fileName: string } | string> {
    if (job.scriptId) {
      const s = await this.#engine.store.scripts.get(job.scriptId);
      if (!s) return `The stored script "${job.scriptName}" was removed before the job ran`;
      return { source: s.source, fileName: `${s.name}.syncjs` };
    }
    if (job.filePath) {
      try {
        return { source: await Deno.readTextFile(job.filePath), fileName: resolve(job.filePath) };
      } catch (err) {
        return `Cannot read script file "${job.filePath}": ${(err as Error).message}`;
      }
    }
    return "The job names neither a stored script nor a file";
  }

  async #fail(job: JobRecord, reason: string): Promise<void> {
    const t = new Date().toISOString();
    await this.#engine.store.jobs.appendLogs([{
      jobId: job.id,
      seq: 1,
      ts: t,
      level: "error",
      text: reason,
    }]);
    const rec = await this.#engine.store.jobs.update(job.id, {
      status: "failed",
      exitCode: 1,
      error: reason,
      finishedAt: t,
    });
    this.#engine.bus.emit({ type: "job", job: rec });
  }

  /**
   * Halts a job: a running one gets the halt signal (and ends `halted`), a queued one is marked
   * `halted` at once. Returns the job, or undefined when there is none with this ID.
   */
  async halt(id: string): Promise<JobRecord | undefined> {
    const run = this.#running.get(id);
    if (run) {
      run.abort.abort();
      return await this.#engine.store.jobs.get(id);
    }
    const job = await this.#engine.store.jobs.get(id);
    if (job?.status === "queued") {
      const rec = await this.#engine.store.jobs.update(id, {
        status: "halted",
        error: "Halted before it started",
        finishedAt: new Date().toISOString(),
      });
      this.#engine.bus.emit({ type: "job", job: rec });
      return rec;
    }
    return job;
  }

  /** Removes finished jobs older than `jobRetentionDays`. */
  async purge(): Promise<void> {
    try {
      const { jobRetentionDays } = await this.#engine.settings();
      const cutoff = new Date(Date.now() - jobRetentionDays * 86400_000).toISOString();
      const n = await this.#engine.store.jobs.purge(cutoff);
      if (n > 0) this.#log(`removed ${n} job(s) older than ${jobRetentionDays} days`);
    } catch (err) {
      this.#log(`job history clean-up failed: ${String(err)}`);
    }
  }

  /**
   * Stops taking jobs, sends the halt signal to every running job and waits for them (each
   * job's own grace period then kills a runner that does not stop).
   */
  async stop(): Promise<void> {
    this.#stopping = true;
    clearInterval(this.#timer);
    clearInterval(this.#purgeTimer);
    for (const r of this.#running.values()) r.abort.abort();
    await Promise.all([...this.#running.values()].map((r) => r.done));
    await this.#pool.close();
  }
}
