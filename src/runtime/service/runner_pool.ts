/**
 * Runner processes seen from the parent: spawning (`aft __runner`, or `deno run main.ts
 * __runner` in development) with the job's heap limit, the frame link, killing, and a small
 * pool of started runners so a job does not wait for a process to start.
 *
 * @module
 */

import { fileURLToPath } from "node:url";
import { FrameWriter, readFrames } from "../protocol/frames.ts";
import type { ParentMessage, RunnerMessage } from "../protocol/messages.ts";
import type { Runner, RunnerListener, Runners } from "../protocol/runner.ts";

export type { Runner, RunnerListener, Runners };
import { mark } from "../../timings.ts";
import { DENO_RUN_FLAGS, V8_FLAGS, v8FlagsArg } from "../../deno_flags.ts";

const MAIN_URL = new URL("../../../main.ts", import.meta.url);
const CONFIG_URL = new URL("../../../deno.json", import.meta.url);
const STDERR_TAIL = 16 * 1024;

/** The command line that starts a runner with a V8 heap limit of `memoryMiB`. */
export function runnerCommand(
  memoryMiB: number,
): { cmd: string; args: string[]; env: Record<string, string> } {
  const heap = `--max-old-space-size=${memoryMiB}`;
  if (Deno.build.standalone || MAIN_URL.protocol !== "file:") {
    // A compiled binary takes V8 flags from the environment (its own, baked in, after them).
    return {
      cmd: Deno.execPath(),
      args: ["__runner"],
      env: { DENO_V8_FLAGS: [...V8_FLAGS, heap].join(",") },
    };
  }
  const config = (() => {
    try {
      Deno.statSync(CONFIG_URL);
      return ["--config", fileURLToPath(CONFIG_URL)];
    } catch {
      return [];
    }
  })();
  return {
    cmd: Deno.execPath(),
    args: [
      "run",
      ...DENO_RUN_FLAGS,
      v8FlagsArg(heap),
      ...config,
      fileURLToPath(MAIN_URL),
      "__runner",
    ],
    env: {},
  };
}

/** One runner process and its frame link. */
export class RunnerProcess implements Runner {
  readonly memoryMiB: number;
  /** Settles when the process has exited. */
  readonly exited: Promise<Deno.CommandStatus>;
  /** Settles when the runner said it is ready (rejects if it died first). */
  readonly ready: Promise<void>;
  #child: Deno.ChildProcess;
  #writer: FrameWriter;
  #listener: RunnerListener | undefined;
  #stderr = "";
  #alive = true;

  constructor(memoryMiB: number) {
    this.memoryMiB = memoryMiB;
    const { cmd, args, env } = runnerCommand(memoryMiB);
    this.#child = new Deno.Command(cmd, {
      args,
      env: { ...env, NO_COLOR: "1" },
      stdin: "piped",
      stdout: "piped",
      stderr: "piped",
    }).spawn();
    mark("runner process spawned");
    this.#writer = new FrameWriter(this.#child.stdin);
    this.exited = this.#child.status.then((s) => {
      this.#alive = false;
      return s;
    });
    let onReady!: () => void;
    let onDead!: (e: Error) => void;
    this.ready = new Promise<void>((res, rej) => {
      onReady = res;
      onDead = rej;
    });
    this.ready.catch(() => {});
    this.#pump(onReady).catch(() => {}).finally(() => onDead(new Error(this.describeExit())));
    this.#drainStderr();
  }

  async #pump(onReady: () => void): Promise<void> {
    for await (const m of readFrames<RunnerMessage>(this.#child.stdout)) {
      if (m.t === "ready") {
        mark("runner ready");
        onReady();
      } else {
        // A listener that returns a promise is behind (its log is being stored): reading
        // stops until it settles, the runner's pipe fills, and so the script's Log waits.
        const behind = this.#listener?.(m);
        if (behind) await behind;
      }
    }
  }

  async #drainStderr(): Promise<void> {
    const dec = new TextDecoder();
    try {
      for await (const chunk of this.#child.stderr) {
        this.#stderr = (this.#stderr + dec.decode(chunk, { stream: true })).slice(-STDERR_TAIL);
        if (Deno.env.get("AFT_DEBUG_RUNNER")) await Deno.stderr.write(chunk);
      }
    } catch { /* process gone */ }
  }

  get pid(): number {
    return this.#child.pid;
  }

  get alive(): boolean {
    return this.#alive;
  }

  /** The last lines the runner wrote to stderr. */
  get stderrTail(): string {
    return this.#stderr;
  }

  /** Where messages of the current job go. */
  listen(fn: RunnerListener | undefined): void {
    this.#listener = fn;
  }

  send(m: ParentMessage): void {
    if (this.#alive) this.#writer.send(m);
  }

  /** Kills the process at once (a worker spinning in `for(;;){}` cannot be stopped otherwise). */
  kill(): void {
    if (!this.#alive) return;
    try {
      this.#child.kill(Deno.build.os === "windows" ? "SIGTERM" : "SIGKILL");
    } catch { /* already gone */ }
  }

  /** Asks the runner to exit; kills it if it has not after `ms`. */
  async shutdown(ms = 2000): Promise<void> {
    this.send({ t: "shutdown" });
    await this.#writer.close();
    const timer = setTimeout(() => this.kill(), ms);
    await this.exited;
    clearTimeout(timer);
  }

  /** One sentence on why the process ended, from its status and stderr. */
  describeExit(status?: Deno.CommandStatus): string {
    if (/out of memory|heap limit|allocation failed/i.test(this.#stderr)) {
      return `The script exceeded the memory limit of ${this.memoryMiB} MiB (setting jobMemoryMiB)`;
    }
    if (status?.signal) return `The runner process was killed by ${status.signal}`;
    if (status) return `The runner process exited unexpectedly with code ${status.code}`;
    return "The runner process ended unexpectedly";
  }
}

/** How long a runner past the pool's `maxIdle` waits for a job before it is shut down, in ms. */
export const SURPLUS_IDLE_MS = 10_000;

/** An idle runner and since when it waits. */
interface Idle {
  runner: RunnerProcess;
  since: number;
}

/**
 * Started runners waiting for jobs, so a job does not pay for a process start.
 *
 * A runner back from a job is kept even when `maxIdle` runners already wait: under a steady
 * stream of jobs the number of busy runners goes up and down, and shutting one down each time
 * the idle ones were full meant starting another (a whole process, its modules and a Worker)
 * a moment later. The runners past `maxIdle` are shut down once they have waited
 * `surplusIdleMs` without a job. They are never more than the pool handed out at once plus one
 * spare.
 *
 * A job gets the runner that came back last. A runner that waits between jobs costs more CPU
 * per job than one kept busy (it wakes up cold), so the same few runners take the jobs one
 * after the other and the rest are shut down once they have waited long enough.
 */
export class RunnerPool implements Runners {
  #idle: Idle[] = [];
  #maxIdle: number;
  #surplusIdleMs: number;
  #reaper: ReturnType<typeof setInterval> | undefined;
  #closed = false;

  /**
   * `maxIdle`: runners kept started and idle (0 = start one per job, none kept);
   * `surplusIdleMs`: see {@linkcode SURPLUS_IDLE_MS}.
   */
  constructor(opts: { maxIdle?: number; surplusIdleMs?: number } = {}) {
    this.#maxIdle = opts.maxIdle ?? 0;
    this.#surplusIdleMs = opts.surplusIdleMs ?? SURPLUS_IDLE_MS;
  }

  /** Runners started and waiting for a job now. */
  get idleCount(): number {
    return this.#idle.length;
  }

  /** A ready runner with the heap limit `memoryMiB`. */
  async acquire(memoryMiB: number): Promise<RunnerProcess> {
    while (this.#idle.length > 0) {
      // The runner back last: the runners in use stay warm, the others rest until reaped.
      const i = this.#idle.findLastIndex((e) => e.runner.memoryMiB === memoryMiB);
      if (i < 0) break;
      const [{ runner: r }] = this.#idle.splice(i, 1) as [Idle];
      if (r.alive) {
        // Keep one spare started for the next job; runners come back to the pool on release,
        // so a spare is only needed when none is left.
        if (this.#idle.length === 0) this.#refill(memoryMiB);
        return r;
      }
    }
    const r = new RunnerProcess(memoryMiB);
    await r.ready;
    this.#refill(memoryMiB);
    return r;
  }

  /**
   * Starts one runner now for a job about to come (beyond `maxIdle`): `aft run` calls it as
   * soon as it knows the heap limit, so the runner starts while the job is being recorded.
   */
  warm(memoryMiB: number): void {
    if (this.#closed || this.#idle.some((e) => e.runner.memoryMiB === memoryMiB)) return;
    this.#keep(new RunnerProcess(memoryMiB));
  }

  /** Returns a runner after a job; one that may not be reused is shut down. */
  release(r: RunnerProcess, reusable: boolean): void {
    r.listen(undefined);
    if (reusable && r.alive && !this.#closed && this.#maxIdle > 0) {
      this.#idle.push({ runner: r, since: performance.now() });
      this.#reapLater();
    } else if (r.alive) {
      r.shutdown().catch(() => r.kill());
    }
  }

  #refill(memoryMiB: number): void {
    if (this.#closed || this.#idle.length >= this.#maxIdle) return;
    this.#keep(new RunnerProcess(memoryMiB));
  }

  /** Adds a runner being started to the idle ones; it leaves them if it dies first. */
  #keep(r: RunnerProcess): void {
    const e = { runner: r, since: performance.now() };
    this.#idle.push(e);
    r.ready.catch(() => {
      this.#idle = this.#idle.filter((x) => x !== e);
    });
  }

  /** Watches the runners past `maxIdle` while there are any. */
  #reapLater(): void {
    if (this.#reaper !== undefined || this.#idle.length <= this.#maxIdle) return;
    this.#reaper = setInterval(() => this.#reap(), Math.max(50, this.#surplusIdleMs / 2));
    // An idle pool does not keep its process alive (aft run, tests).
    Deno.unrefTimer(this.#reaper);
  }

  /**
   * Shuts down the runners past `maxIdle` that have waited `surplusIdleMs`, longest first. The
   * idle runners are only ever appended as they start waiting, so the first waited longest.
   */
  #reap(): void {
    const now = performance.now();
    while (this.#idle.length > this.#maxIdle) {
      const e = this.#idle[0]!;
      if (now - e.since < this.#surplusIdleMs) break;
      this.#idle.shift();
      e.runner.shutdown().catch(() => e.runner.kill());
    }
    if (this.#idle.length <= this.#maxIdle) {
      clearInterval(this.#reaper);
      this.#reaper = undefined;
    }
  }

  /** Shuts every idle runner down. */
  async close(): Promise<void> {
    this.#closed = true;
    clearInterval(this.#reaper);
    this.#reaper = undefined;
    const idle = this.#idle;
    this.#idle = [];
    await Promise.all(idle.map((e) => e.runner.shutdown()));
  }
}
