/**
 * The service's job queue. A job is a row committed as `queued` before the API answers; the
 * queue claims queued rows atomically (so two processes on one database never run the same job),
 * up to `maxConcurrentJobs` at once, and runs each through `executeJob` on a pooled runner
 * process. Each claim holds a lease of `nodeLeaseSeconds` that the node keeper renews
 * (`node_keeper.ts`). Halt goes through an AbortController per running job; a queued job is
 * halted in place; a job running on another node is asked to halt through the store, which
 * tells that node. At start-up (and every hour), jobs of this node whose process is gone become
 * `failed` (see `service.ts`). A draining queue claims nothing and finishes what it runs.
 *
 * @module
 */

import type { ClaimRequest, JobRecord } from "../store/types.ts";
import { RunnerPool } from "../runtime/service/runner_pool.ts";
import { executeJob } from "./execute.ts";
import { jobSource } from "./job_source.ts";
import { purgeAuthRecords } from "./retention.ts";
import type { EngineCore as Engine } from "./types.ts";

const POLL_MS = 1000;
const PURGE_EVERY_MS = 3600_000;

export interface QueueOptions {
  log?: (msg: string) => void;
  maxIdleRunners?: number;
  /** This process, as the owner of the jobs it claims. */
  owner: string;
  /** Fails the jobs of processes that are gone; called at start and every hour. */
  reconcile(): Promise<void>;
}

/** Runs queued jobs, up to `maxConcurrentJobs` at once. */
export class JobQueue {
  readonly #engine: Engine;
  readonly #pool: RunnerPool;
  readonly #running = new Map<string, { abort: AbortController; done: Promise<void> }>();
  #stopping = false;
  #draining = false;
  #pumping = false;
  #again = false;
  #timer?: ReturnType<typeof setInterval>;
  #purgeTimer?: ReturnType<typeof setInterval>;
  /** Durations of finished jobs since the last `takeDurations()`, for the metrics histogram. */
  #durations: { status: string; seconds: number }[] = [];
  readonly #log: (msg: string) => void;
  readonly #opts: QueueOptions;

  constructor(engine: Engine, opts: QueueOptions) {
    this.#engine = engine;
    this.#opts = opts;
    this.#pool = new RunnerPool({ maxIdle: opts.maxIdleRunners ?? 4 });
    this.#log = opts.log ?? (() => {});
  }

  /** Recovers jobs a dead process left running, then starts taking jobs. */
  async start(): Promise<void> {
    await this.#opts.reconcile();
    await this.purge();
    this.#timer = setInterval(() => this.wake(), POLL_MS);
    this.#purgeTimer = setInterval(() => {
      this.purge();
      this.#opts.reconcile().catch((err) => this.#log(`job reconciliation: ${String(err)}`));
    }, PURGE_EVERY_MS);
    this.wake();
  }

  /** True once `stop()` was called: no new jobs are taken. */
  get stopping(): boolean {
    return this.#stopping;
  }

  /** Durations of the jobs that finished since the last call (metrics). */
  takeDurations(): { status: string; seconds: number }[] {
    const out = this.#durations;
    this.#durations = [];
    return out;
  }

  /** True while draining: no new jobs are claimed, running ones finish. */
  get draining(): boolean {
    return this.#draining;
  }

  /** Starts or ends draining (the node keeper follows the node's record). */
  set draining(on: boolean) {
    const was = this.#draining;
    this.#draining = on;
    if (was && !on) this.wake();
  }

  /** IDs of the jobs this queue runs now. */
  runningIds(): string[] {
    return [...this.#running.keys()];
  }

  /**
   * Sends the halt signal to job `id` when this queue runs it (with `reason` `JOB_LOST` from
   * `execute.ts` for a job that is no longer this node's); false when it does not.
   */
  abortHere(id: string, reason?: string): boolean {
    const run = this.#running.get(id);
    if (!run) return false;
    run.abort.abort(reason);
    return true;
  }

  /** True when this queue runs the job now. */
  runs(id: string): boolean {
    return this.#running.has(id);
  }

  /** Number of jobs running now in this process. */
  get runningCount(): number {
    return this.#running.size;
  }

  /** Looks for queued jobs now (called after a job is created, and on a timer). */
  wake(): void {
    if (this.#stopping || this.#draining) return;
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
    const { maxConcurrentJobs, nodeLeaseSeconds } = await this.#engine.settings();
    while (!this.#stopping && !this.#draining && this.#running.size < maxConcurrentJobs) {
      const job = await this.#engine.store.jobs.claim(this.#engine.node, {
        owner: this.#opts.owner,
        leaseSeconds: nodeLeaseSeconds,
      });
      if (!job) return;
      await this.#take(job);
    }
  }

  /**
   * Runs a job this queue claimed, or, when `stop()` began while the claim was under way,
   * puts it back in the queue for another node or the next start.
   */
  async #take(job: JobRecord): Promise<void> {
    if (!this.#stopping) return this.#run(job);
    try {
      await this.#engine.store.jobs.update(job.id, {
        status: "queued",
        node: null,
        owner: null,
        startedAt: null,
      });
    } catch (err) {
      // Still "running" here: reconciliation or a lease expiry fails it later.
      this.#log(`job ${job.id}: cannot return it to the queue at shutdown: ${String(err)}`);
    }
  }

  /**
   * Who claims the next job with the end of one that runs now (its slot frees as it ends), or
   * undefined when this queue takes no new job or has no slot for it.
   */
  async #nextClaim(): Promise<ClaimRequest | undefined> {
    if (this.#stopping || this.#draining) return undefined;
    const { maxConcurrentJobs, nodeLeaseSeconds } = await this.#engine.settings();
    // The ending job still counts in #running.
    if (this.#running.size > maxConcurrentJobs) return undefined;
    return { node: this.#engine.node, owner: this.#opts.owner, leaseSeconds: nodeLeaseSeconds };
  }

  #run(job: JobRecord): void {
    const abort = new AbortController();
    const started = performance.now();
    let next: JobRecord | undefined;
    const done = (async () => {
      try {
        const src = await jobSource(this.#engine, job);
        if (typeof src === "string") {
          await this.#fail(job, src);
          return;
        }
        const end = await executeJob(this.#engine, job, src, {
          pool: this.#pool,
          signal: abort.signal,
          next: { request: () => this.#nextClaim(), take: (j) => next = j },
        });
        this.#durations.push({ status: end.status, seconds: (performance.now() - started) / 1000 });
        if (this.#durations.length > 10_000) this.#durations.splice(0, 5_000);
      } catch (err) {
        this.#log(`job ${job.id}: ${String(err)}`);
        await this.#fail(job, `Internal error: ${(err as Error).message}`).catch(() => {});
      }
    })().finally(async () => {
      this.#running.delete(job.id);
      // The job claimed with this one's end takes its slot.
      if (next) await this.#take(next);
      this.wake();
    });
    this.#running.set(job.id, { abort, done });
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
   * `halted` at once, one running on another node is asked to halt through the store (its node
   * hears it at once, or at its next lease renewal). Returns the job, or undefined when there is
   * none with this ID.
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
    if (job?.status === "running") await this.#engine.store.jobs.requestHalt(id);
    return job;
  }

  /** Removes finished jobs older than `jobRetentionDays`, and old audit entries and sessions. */
  async purge(): Promise<void> {
    try {
      const { jobRetentionDays } = await this.#engine.settings();
      const cutoff = new Date(Date.now() - jobRetentionDays * 86400_000).toISOString();
      const n = await this.#engine.store.jobs.purge(cutoff);
      if (n > 0) this.#log(`removed ${n} job(s) older than ${jobRetentionDays} days`);
    } catch (err) {
      this.#log(`job history clean-up failed: ${String(err)}`);
    }
    try {
      await purgeAuthRecords(this.#engine, this.#log);
    } catch (err) {
      this.#log(`audit log and session clean-up failed: ${String(err)}`);
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
