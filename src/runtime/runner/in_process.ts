/**
 * The runner of `aft run`: the job's script runs in a Worker of the `aft run` process itself,
 * with no runner process. Starting a second Deno process (its runtime, its modules, the frame
 * link) was most of `aft run`'s start-up; `aft run` is already a process of its own for one
 * job, that can be killed, and that exits when the job ends. The script's sandbox is the same:
 * the Worker has no permissions at all and reaches the host only through the bridge.
 *
 * What a runner process gives the service, this gives `aft run` another way:
 *
 * - Stopping a script that ignores the halt signal (a Worker spinning in `for(;;){}` cannot be
 *   stopped on Deno 2.9): `kill()` ends the runner at once, the job is recorded, and the
 *   process exits, which stops the thread.
 * - The memory limit (setting jobMemoryMiB): Deno cannot give one Worker a heap limit of its
 *   own (only a whole process, at its start), so the process's resident memory is watched
 *   while the script runs; when it has grown by more than the limit since the script started,
 *   the job fails with the same message a runner process gives and the process exits. It
 *   counts all the job's memory (the script's heap, and the buffers of its transfers), where
 *   a runner's V8 limit counts the heap alone; a burst faster than the 50 ms between two looks
 *   can overshoot until the next look, and V8's own limit for the process (about a quarter of
 *   the machine's memory, at most 4 GiB) stays the last bound.
 *
 * `AFT_RUNNER_PROCESS=1` makes `aft run` use a runner process as the service does.
 *
 * @module
 */

import type { ParentMessage, RunnerMessage } from "../protocol/messages.ts";
import { createRunnerCore, type RunnerCore } from "./runner_core.ts";
import type { Runner, RunnerListener, Runners } from "../protocol/runner.ts";
import { every, type Ticker } from "../../timers.ts";

const MiB = 1024 * 1024;
/** How often the resident memory is looked at while a script runs. */
const WATCH_MS = 50;

/** Messages cross as the frames of a runner process would carry them: as JSON copies. */
function copy<T>(m: T): T {
  return JSON.parse(JSON.stringify(m));
}

/** A runner in this process (see the module's notes). */
export class InProcessRunner implements Runner {
  readonly exited: Promise<Deno.CommandStatus>;
  #memoryMiB: number;
  #core: RunnerCore;
  #listener: RunnerListener | undefined;
  #alive = true;
  #overLimit = false;
  #watch: Ticker | undefined;
  /** Messages to the parent, in order; one behind holds the next back, as a full pipe would. */
  #toParent: Promise<void> = Promise.resolve();
  #end!: (s: Deno.CommandStatus) => void;

  constructor(memoryMiB: number) {
    this.#memoryMiB = memoryMiB;
    this.exited = new Promise((resolve) => this.#end = resolve);
    // One job, then the process exits: no spare Worker after it.
    this.#core = createRunnerCore((m) => this.#deliver(m), { prewarm: false });
  }

  get memoryMiB(): number {
    return this.#memoryMiB;
  }

  /** Sets the memory limit for the next job. */
  limit(memoryMiB: number): void {
    this.#memoryMiB = memoryMiB;
  }

  get alive(): boolean {
    return this.#alive;
  }

  listen(fn: RunnerListener | undefined): void {
    this.#listener = fn;
  }

  send(m: ParentMessage): void {
    if (!this.#alive) return;
    if (m.t === "start") this.#startWatch();
    const msg = copy(m);
    // One job, then the process exits: a Worker kept for a later run of the script would only
    // wait for the exit (and keeping one starts the idle sweeper, a Node timer: see timers.ts).
    if (msg.t === "start") msg.job.limits.workerReuse = false;
    queueMicrotask(() => {
      if (this.#alive && !this.#core.handle(msg)) this.#stop(0);
    });
  }

  #deliver(m: RunnerMessage): Promise<void> {
    if (m.t === "exit") this.#stopWatch();
    const msg = copy(m);
    this.#toParent = this.#toParent.then(async () => {
      if (this.#alive) await this.#listener?.(msg);
    });
    return this.#toParent;
  }

  #startWatch(): void {
    const base = Deno.memoryUsage().rss;
    // Not setInterval: see timers.ts.
    this.#watch = every(WATCH_MS, () => {
      if (Deno.memoryUsage().rss - base > this.#memoryMiB * MiB) {
        this.#overLimit = true;
        this.kill();
      }
    });
  }

  #stopWatch(): void {
    this.#watch?.stop();
    this.#watch = undefined;
  }

  #stop(code: number, signal: Deno.Signal | null = null): void {
    if (!this.#alive) return;
    this.#alive = false;
    this.#stopWatch();
    this.#core.stop();
    this.#end({ success: code === 0, code, signal });
  }

  kill(): void {
    this.#stop(137, "SIGKILL");
  }

  /** Ends it after its job. */
  shutdown(): void {
    this.#stop(0);
  }

  describeExit(status?: Deno.CommandStatus): string {
    if (this.#overLimit) {
      return `The script exceeded the memory limit of ${this.#memoryMiB} MiB (setting jobMemoryMiB)`;
    }
    if (status?.signal) return "The script was stopped";
    return "The script's runner ended unexpectedly";
  }
}

/** `aft run`'s runners: one in this process, started ahead (its Worker starting at once). */
export class InProcessRunners implements Runners {
  #spare: InProcessRunner | undefined;
  #closed = false;

  acquire(memoryMiB: number): Promise<Runner> {
    const r = this.#spare ?? new InProcessRunner(memoryMiB);
    this.#spare = undefined;
    r.limit(memoryMiB);
    return Promise.resolve(r);
  }

  warm(memoryMiB: number): void {
    if (!this.#closed) this.#spare ??= new InProcessRunner(memoryMiB);
  }

  release(r: Runner): void {
    r.listen(undefined);
    (r as InProcessRunner).shutdown();
  }

  close(): Promise<void> {
    this.#closed = true;
    this.#spare?.shutdown();
    this.#spare = undefined;
    return Promise.resolve();
  }
}
