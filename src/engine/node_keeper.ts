/**
 * The node keeper of `aft serve`: registers this node on the store, then, every third of
 * `nodeLeaseSeconds`, records a heartbeat, renews the leases of the jobs this node runs, follows
 * the node's draining flag, stops jobs asked to halt (or no longer this node's), and fails the
 * jobs of nodes that stopped renewing (each with a log line naming the lost node). It also
 * listens on the store's signals: `job_halt` stops a job here at once, `job_queued` wakes the
 * queue; a lost signal is caught up by the next tick and the queue's own polling.
 *
 * A node that dies leaves its jobs' leases at most `nodeLeaseSeconds` ahead of its last
 * renewal, which came at most a third of that before it died; a survivor looks every third:
 * its jobs are failed within `nodeLeaseSeconds` and a third of a lease after it died.
 *
 * @module
 */

import { VERSION } from "../version.ts";
import { JOB_LOST } from "./execute.ts";
import type { JobQueue } from "./queue.ts";
import type { EngineCore } from "./types.ts";

/** The error and last log line of a job whose node was lost. */
export function lostNodeReason(node: string, leaseSeconds: number): string {
  return `The node "${node}" was lost (no lease renewal for ${leaseSeconds} s): the job did not finish`;
}

const STRAY_REASON =
  "The end of the job could not be recorded (the store did not answer then): its outcome is unknown";

/** Keeps this node registered and its jobs leased; see the module's doc. */
export class NodeKeeper {
  readonly #core: EngineCore;
  readonly #queue: JobQueue;
  readonly #address: string | null;
  readonly #log: (msg: string) => void;
  #timer?: ReturnType<typeof setTimeout>;
  #stopped = false;
  #ticking?: Promise<void>;
  #unlisten: (() => Promise<void>)[] = [];
  #storeOk = true;
  /** Jobs of this process the store says run here, that this queue does not run (last tick). */
  #strays = new Set<string>();
  readonly #owner: string;

  constructor(
    core: EngineCore,
    queue: JobQueue,
    opts: { address: string | null; owner: string; log?: (msg: string) => void },
  ) {
    this.#owner = opts.owner;
    this.#core = core;
    this.#queue = queue;
    this.#address = opts.address;
    this.#log = opts.log ?? (() => {});
  }

  /** False after a tick that could not reach the store (health says degraded). */
  get storeReachable(): boolean {
    return this.#storeOk;
  }

  /** Registers the node, listens for signals, and starts ticking. */
  async start(): Promise<void> {
    const store = this.#core.store;
    await store.nodes.register({
      id: this.#core.node,
      address: this.#address,
      version: VERSION,
    });
    if (store.signals) {
      this.#unlisten.push(
        await store.signals.listen("job_halt", (id) => {
          if (this.#queue.abortHere(id)) this.#log(`job ${id}: halt requested through the store`);
        }),
        await store.signals.listen("job_queued", () => this.#queue.wake(), {
          onListen: () => this.#queue.wake(),
        }),
      );
    }
    await this.tick();
    this.#schedule();
  }

  async #schedule(): Promise<void> {
    if (this.#stopped) return;
    let lease = 30;
    try {
      lease = (await this.#core.settings()).nodeLeaseSeconds;
    } catch { /* the tick says so */ }
    if (this.#stopped) return;
    this.#timer = setTimeout(() => {
      this.#ticking = this.tick().finally(() => this.#schedule());
    }, Math.max(1000, (lease * 1000) / 3));
  }

  /** One round: heartbeat, draining flag, leases, halts, and the jobs of lost nodes. */
  async tick(): Promise<void> {
    const { store, node } = this.#core;
    try {
      const { nodeLeaseSeconds: lease } = await this.#core.settings();
      if (!(await store.nodes.heartbeat(node))) {
        // Removed by someone (or the database was replaced): register again.
        await store.nodes.register({ id: node, address: this.#address, version: VERSION });
      }
      const me = await store.nodes.get(node);
      const draining = me?.draining ?? false;
      if (draining !== this.#queue.draining) {
        this.#log(draining ? "draining: no new jobs, running ones finish" : "draining ended");
        this.#queue.draining = draining;
      }
      // Jobs claimed before the renewal started: one missing from its answer is no longer ours.
      const before = this.#queue.runningIds();
      const held = await store.jobs.renewLeases(node, lease);
      const ours = new Set(held.map((h) => h.id));
      for (const h of held) {
        if (h.haltRequested && this.#queue.abortHere(h.id)) {
          this.#log(`job ${h.id}: halt requested through the store`);
        }
      }
      for (const id of before) {
        if (ours.has(id) || !this.#queue.runs(id)) continue;
        const job = await store.jobs.get(id);
        if (job && job.status === "running" && job.node === node) continue;
        if (this.#queue.abortHere(id, JOB_LOST)) {
          this.#log(`job ${id}: no longer this node's (${job?.status ?? "removed"}): stopping it`);
        }
      }
      await this.#failStrays(held.map((h) => h.id));
      const failed = await store.jobs.failExpired((n) => lostNodeReason(n, lease));
      for (const f of failed) {
        this.#log(`job ${f.id}: failed, its node "${f.node}" was lost`);
        const rec = await store.jobs.get(f.id);
        if (rec) this.#core.bus.emit({ type: "job", job: rec });
      }
      if (!this.#storeOk) this.#log("the store answers again");
      this.#storeOk = true;
    } catch (err) {
      if (this.#storeOk) this.#log(`node heartbeat failed: ${(err as Error).message}`);
      this.#storeOk = false;
    }
  }

  /**
   * Fails this process's jobs that the store says run here but the queue does not run (the end
   * of such a job could not be recorded: the store did not answer then). A job must be seen so
   * on two ticks in a row: a claim that has just committed may not have reached the queue yet.
   */
  async #failStrays(held: string[]): Promise<void> {
    const seen = new Set<string>();
    for (const id of held) {
      if (this.#queue.runs(id)) continue;
      if (!this.#strays.has(id)) {
        seen.add(id);
        continue;
      }
      const job = await this.#core.store.jobs.get(id);
      if (job?.status !== "running" || job.owner !== this.#owner) continue;
      const [done] = await this.#core.store.jobs.failOrphans([id], STRAY_REASON);
      if (done) this.#log(`job ${id}: its end could not be recorded; marked failed`);
    }
    this.#strays = seen;
  }

  /** Stops ticking and listening, and removes the node from the store's list. */
  async stop(): Promise<void> {
    this.#stopped = true;
    clearTimeout(this.#timer);
    await this.#ticking;
    for (const off of this.#unlisten) await off().catch(() => {});
    await this.#core.store.nodes.remove(this.#core.node).catch(() => {});
  }
}
