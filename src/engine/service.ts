/**
 * `engine.service`: what runs jobs in this process. `aft serve` starts the job queue and the
 * scheduler; `aft run` without a service runs its one job here (`local_run.ts`). Both first
 * fail the jobs of this node whose process is gone (`owner.ts`), and only those.
 *
 * @module
 */

import type { JobRecord } from "../store/types.ts";
import type { JobRunners } from "./jobs.ts";
import { ownerAlive } from "./owner.ts";
import type { NodeKeeper } from "./node_keeper.ts";
import type { JobQueue } from "./queue.ts";
import type { FireSchedule, Scheduler } from "./schedules.ts";
import type { EngineCore } from "./types.ts";

export interface ServiceOps {
  /**
   * Fails the jobs of processes that are gone, then runs the job queue, the node keeper
   * (`node_keeper.ts`) and, unless `schedules` is false, the scheduler. On PostgreSQL it first
   * refuses (MASTER_KEY_MISMATCH) a master key other than the store's (`master_key_check.ts`).
   */
  start(
    opts?: {
      log?: (msg: string) => void;
      maxIdleRunners?: number;
      schedules?: boolean;
      /** Where this node's API listens (`HOST:PORT`), as `aft nodes` shows it. */
      address?: string;
    },
  ): Promise<void>;
  /**
   * Takes no new jobs, sends the halt signal to every running job and waits for them (each
   * job's grace period then kills a runner that does not stop).
   */
  stop(): Promise<void>;
  /** True once `stop()` was called. */
  stopping(): boolean;
  /** Jobs running in this process now. */
  runningHere(): number;
  /** When `start()` was called (ISO), for the service's uptime; null before. */
  startedAt(): string | null;
  /** Durations of the jobs this process finished since the last call (metrics). */
  takeDurations(): { status: string; seconds: number }[];
  /**
   * How this node is, for load balancers (`GET /v1/health`): `ok`; `draining` (drained, or
   * stopping: it takes no new jobs); `degraded` with the reasons (the store does not answer,
   * the data directory's disk is nearly full).
   */
  health(): Promise<Health>;
}

/** See `ServiceOps.health`. */
export interface Health {
  status: "ok" | "draining" | "degraded";
  node: string;
  /** Why the node is degraded (empty otherwise). */
  problems: string[];
}

/** Free bytes under which the data directory's disk counts as nearly full. */
export const LOW_DISK_BYTES = 64 * 1024 * 1024;
/** How long a health check waits for the store. */
const STORE_CHECK_MS = 3000;

const SERVICE_GONE =
  "The service stopped while this job was running (process ended unexpectedly); the job did not finish";
const RUN_GONE =
  "The aft run process running this job ended unexpectedly (killed or crashed); the job did not finish";

/**
 * Fails the running jobs of this node whose owner process is gone. A job without an owner
 * (recorded by an older aft) is taken for gone only when `ownerless` (at a service's start,
 * which used to fail every running job of its node). Returns how many it failed.
 */
export async function reconcile(
  core: EngineCore,
  owner: string,
  opts: { ownerless: boolean },
): Promise<number> {
  const running = await core.store.jobs.list({ status: "running", limit: 1000 });
  const gone: JobRecord[] = [];
  for (const j of running) {
    if (j.node !== core.node || j.owner === owner) continue;
    if (j.owner === null ? opts.ownerless : !(await ownerAlive(j.owner))) gone.push(j);
  }
  let n = 0;
  for (
    const [reason, jobs] of [
      [RUN_GONE, gone.filter((j) => j.trigger === "cli" && j.owner !== null)],
      [SERVICE_GONE, gone.filter((j) => !(j.trigger === "cli" && j.owner !== null))],
    ] as const
  ) {
    if (jobs.length > 0) {
      n += (await core.store.jobs.failOrphans(jobs.map((j) => j.id), reason)).length;
    }
  }
  return n;
}

/** The service side of the engine: queue, scheduler, and what the job operations need. */
export function createService(
  core: EngineCore,
  opts: { owner: string; fire: FireSchedule; haltHere(id: string): boolean },
) {
  let queue: JobQueue | undefined;
  let keeper: NodeKeeper | undefined;
  let disk: { at: number; free: Promise<number | undefined> } | undefined;
  let scheduler: Scheduler | undefined;
  let stopping = false;
  let started: string | null = null;
  let log: (msg: string) => void = () => {};

  const runners: JobRunners = {
    owner: opts.owner,
    stopping: () => stopping,
    wake: () => queue?.wake(),
    async halt(id) {
      if (opts.haltHere(id)) return await core.store.jobs.get(id);
      if (queue) return await queue.halt(id);
      // No queue here: a queued job can still be halted in place; a running one is another
      // process's.
      const job = await core.store.jobs.get(id);
      if (job?.status === "running") {
        await core.store.jobs.requestHalt(id);
        return job;
      }
      if (job?.status !== "queued") return undefined;
      const rec = await core.store.jobs.update(id, {
        status: "halted",
        error: "Halted before it started",
        finishedAt: new Date().toISOString(),
      });
      core.bus.emit({ type: "job", job: rec });
      return rec;
    },
  };

  const ops: ServiceOps = {
    async start(o = {}) {
      started = new Date().toISOString();
      log = o.log ?? log;
      if (core.store.kind === "postgres") {
        // Every node must hold the store's master key: refuse now rather than fail jobs later.
        const { checkMasterKey } = await import("./master_key_check.ts");
        await checkMasterKey(core);
      }
      // Loaded here, so commands that run no service do not load the runtime and croner.
      const { JobQueue } = await import("./queue.ts");
      const { Scheduler } = await import("./schedules.ts");
      queue = new JobQueue(core, {
        log,
        maxIdleRunners: o.maxIdleRunners,
        owner: opts.owner,
        reconcile: async () => {
          const n = await reconcile(core, opts.owner, { ownerless: true });
          if (n > 0) log(`marked ${n} job(s) left running by a process that is gone as failed`);
        },
      });
      await queue.start();
      const { NodeKeeper } = await import("./node_keeper.ts");
      keeper = new NodeKeeper(core, queue, { address: o.address ?? null, owner: opts.owner, log });
      await keeper.start();
      if (o.schedules !== false) {
        scheduler = new Scheduler(core, { fire: opts.fire, log });
        await scheduler.start();
      }
    },
    async stop() {
      stopping = true;
      scheduler?.stop();
      // The keeper renews the leases of jobs that finish their grace period, then leaves.
      await queue?.stop();
      await keeper?.stop();
    },
    async health() {
      const problems: string[] = [];
      let timer: ReturnType<typeof setTimeout> | undefined;
      const timeout = new Promise<"timeout">((r) =>
        timer = setTimeout(r, STORE_CHECK_MS, "timeout")
      );
      try {
        const me = await Promise.race([core.store.nodes.get(core.node), timeout]);
        if (me === "timeout") problems.push(`the store did not answer in ${STORE_CHECK_MS} ms`);
      } catch (err) {
        problems.push(`the store cannot be reached: ${(err as Error).message}`);
      } finally {
        clearTimeout(timer);
      }
      if (!disk || Date.now() - disk.at > 5000) {
        disk = { at: Date.now(), free: freeBytes(core.dataDir) };
      }
      const free = await disk.free;
      if (free !== undefined && free < LOW_DISK_BYTES) {
        problems.push(`the data directory's disk is nearly full (${free} bytes free)`);
      }
      const draining = stopping || (queue?.stopping ?? false) || (queue?.draining ?? false);
      return {
        status: problems.length > 0 ? "degraded" : draining ? "draining" : "ok",
        node: core.node,
        problems,
      };
    },
    stopping: () => stopping || (queue?.stopping ?? false),
    runningHere: () => queue?.runningCount ?? 0,
    startedAt: () => started,
    takeDurations: () => queue?.takeDurations() ?? [],
  };
  return { ops, runners };
}

/**
 * Free bytes on the disk holding `dir`, for an unprivileged user (statfs(2)'s `bavail`, as
 * `df` and `aft doctor` tell it), or undefined where that cannot be told. Until now this ran
 * `df`: a process per health check every 5 s, which held `GET /v1/health` (and so each
 * `aft run` handed to the service) 5 to 40 ms.
 */
async function freeBytes(dir: string): Promise<number | undefined> {
  try {
    // Loaded here: engine.ts (and so `aft run`) imports this module, and node:fs loads Deno's
    // Node layer; health checks happen in the service only.
    const { statfs } = await import("node:fs/promises");
    const fs = await statfs(dir);
    const free = Number(fs.bavail) * Number(fs.bsize);
    return Number.isFinite(free) ? free : undefined;
  } catch {
    return undefined;
  }
}
