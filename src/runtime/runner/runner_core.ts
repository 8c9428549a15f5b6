/**
 * What a runner does with its parent's messages, whatever carries them: starts the job's script
 * (one at a time), passes halts and replies on, and reports the script's end with its peak
 * memory. `runner_main.ts` drives it over frames on stdin/stdout (a runner process);
 * `runtime/runner/in_process.ts` drives it with direct calls (`aft run`'s job in its own
 * process).
 *
 * @module
 */

import type { ParentMessage, RunnerMessage } from "../protocol/messages.ts";
import { dropWorkers, prewarmWorker, type RunningScript, startScript } from "./script_host.ts";
import { mark } from "../../timings.ts";
import { every } from "../../timers.ts";

/** Whether the kernel keeps the peak resident memory (Linux VmHWM): no sampling then. */
const KERNEL_PEAK = Deno.build.os === "linux";

/** Peak resident memory since the last reset, in bytes (Linux VmHWM, else `sampled()`). */
function peakRss(sampled: () => number): number {
  if (KERNEL_PEAK) {
    try {
      const status = Deno.readTextFileSync("/proc/self/status");
      const m = /VmHWM:\s+(\d+) kB/.exec(status);
      if (m) return Number(m[1]) * 1024;
    } catch { /* fall through */ }
  }
  return sampled();
}

function resetPeakRss(): void {
  if (Deno.build.os !== "linux") return;
  try {
    Deno.writeTextFileSync("/proc/self/clear_refs", "5");
  } catch { /* not permitted on this kernel: peak is then over the runner's life */ }
}

/** A runner's message handling; `handle` returns false on `shutdown`. */
export interface RunnerCore {
  handle(msg: ParentMessage): boolean;
  /**
   * Stops the script's Worker, the spare one and those kept for reuse (a Worker spinning in
   * `for(;;){}` goes on until its process ends: only a process can be stopped for sure).
   */
  stop(): void;
}

/**
 * The runner's side of the protocol; `send` carries its messages to the parent and may return
 * a promise that settles once the message is on its way (a script's log line waits for it). A
 * spare Worker is started at once and after each job (`opts.prewarm` false: only at once), so
 * a job does not wait for one.
 */
export function createRunnerCore(
  send: (m: RunnerMessage) => Promise<void> | void,
  opts: { prewarm?: boolean } = {},
): RunnerCore {
  const pending = new Map<number, { resolve(v: unknown): void; reject(e: Error): void }>();
  let nextId = 1;
  let current: RunningScript | undefined;
  prewarmWorker();

  const handle = (msg: ParentMessage): boolean => {
    switch (msg.t) {
      case "start": {
        if (current) break;
        mark("job received", "runner");
        resetPeakRss();
        // Sampled only where the kernel keeps no peak: a sample reads V8's heap statistics,
        // and every job paid for two of them and a timer to learn what VmHWM already says.
        let sampled = KERNEL_PEAK ? 0 : Deno.memoryUsage().rss;
        // Not setInterval: see timers.ts.
        const sampler = KERNEL_PEAK ? undefined : every(100, () => {
          sampled = Math.max(sampled, Deno.memoryUsage().rss);
        });
        const script = startScript(msg.job, {
          request: (req) =>
            new Promise((resolve, reject) => {
              const id = nextId++;
              pending.set(id, { resolve, reject });
              send({ t: "request", id, ...req });
            }),
          log: (level, text, cutFrom) =>
            send({ t: "log", level, text, ts: new Date().toISOString(), cutFrom }),
          logDropped: (d) => void send({ t: "logDropped", ...d }),
          progress: (p) => void send({ t: "progress", ...p }),
        });
        current = script;
        script.done.then((end) => {
          sampler?.stop();
          current = undefined;
          mark("script done", "runner");
          const sent = send({
            t: "exit",
            code: end.code,
            error: end.error,
            reusable: true,
            peakRssBytes: peakRss(() => Math.max(sampled, Deno.memoryUsage().rss)),
            bytesTransferred: end.bytesTransferred,
          });
          // Once the exit message is out: creating a Worker holds this thread until its runtime
          // exists, and the parent records the job's end meanwhile instead of waiting for it.
          if (opts.prewarm !== false) {
            Promise.resolve(sent).catch(() => {}).finally(() => prewarmWorker());
          }
        });
        break;
      }
      case "halt":
        current?.halt();
        break;
      case "reply": {
        const p = pending.get(msg.id);
        pending.delete(msg.id);
        if (msg.ok) p?.resolve(msg.value);
        else p?.reject(new Error(msg.error));
        break;
      }
      case "shutdown":
        return false;
    }
    return true;
  };
  return {
    handle,
    stop() {
      current?.terminate();
      dropWorkers();
    },
  };
}
