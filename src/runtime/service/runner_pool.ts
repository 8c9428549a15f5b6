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

const MAIN_URL = new URL("../../../main.ts", import.meta.url);
const CONFIG_URL = new URL("../../../deno.json", import.meta.url);
const STDERR_TAIL = 16 * 1024;

/** The command line that starts a runner with a V8 heap limit of `memoryMiB`. */
export function runnerCommand(
  memoryMiB: number,
): { cmd: string; args: string[]; env: Record<string, string> } {
  const v8 = `--max-old-space-size=${memoryMiB}`;
  if (Deno.build.standalone || MAIN_URL.protocol !== "file:") {
    // A compiled binary takes V8 flags from the environment.
    return { cmd: Deno.execPath(), args: ["__runner"], env: { DENO_V8_FLAGS: v8 } };
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
      "--allow-all",
      "--unstable-worker-options",
      // Modules behind an import() are read when it runs, not all at start (README, Performance).
      "--unstable-lazy-dynamic-imports",
      `--v8-flags=${v8}`,
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

/** Started runners waiting for jobs, so a job does not pay for a process start. */
export class RunnerPool implements Runners {
  #idle: RunnerProcess[] = [];
  #maxIdle: number;
  #closed = false;

  /** `maxIdle`: runners kept started and idle (0 = start one per job). */
  constructor(opts: { maxIdle?: number } = {}) {
    this.#maxIdle = opts.maxIdle ?? 0;
  }

  /** A ready runner with the heap limit `memoryMiB`. */
  async acquire(memoryMiB: number): Promise<RunnerProcess> {
    while (this.#idle.length > 0) {
      const i = this.#idle.findIndex((r) => r.memoryMiB === memoryMiB);
      if (i < 0) break;
      const [r] = this.#idle.splice(i, 1);
      if (r!.alive) {
        // Keep one spare started for the next job; runners come back to the pool on release,
        // so a spare is only needed when none is left.
        if (this.#idle.length === 0) this.#refill(memoryMiB);
        return r!;
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
    if (this.#closed || this.#idle.some((r) => r.memoryMiB === memoryMiB)) return;
    const r = new RunnerProcess(memoryMiB);
    this.#idle.push(r);
    r.ready.catch(() => {
      this.#idle = this.#idle.filter((x) => x !== r);
    });
  }

  /** Returns a runner after a job; one that may not be reused is shut down. */
  release(r: RunnerProcess, reusable: boolean): void {
    r.listen(undefined);
    if (reusable && r.alive && !this.#closed && this.#idle.length < this.#maxIdle) {
      this.#idle.push(r);
    } else if (r.alive) {
      r.shutdown().catch(() => r.kill());
    }
  }

  #refill(memoryMiB: number): void {
    if (this.#closed || this.#idle.length >= this.#maxIdle) return;
    const r = new RunnerProcess(memoryMiB);
    this.#idle.push(r);
    r.ready.catch(() => {
      this.#idle = this.#idle.filter((x) => x !== r);
    });
  }

  /** Shuts every idle runner down. */
  async close(): Promise<void> {
    this.#closed = true;
    const idle = this.#idle;
    this.#idle = [];
    await Promise.all(idle.map((r) => r.shutdown()));
  }
}
