/**
 * The runner process (`aft __runner`): runs one job at a time for its parent, speaking
 * length-prefixed frames on stdin/stdout. Its stdout carries only frames; anything else it
 * prints goes to stderr. It exits when its parent closes stdin or says `shutdown`.
 *
 * @module
 */

import { FrameWriter, readFrames } from "../protocol/frames.ts";
import type { ParentMessage, RunnerMessage } from "../protocol/messages.ts";
import { prewarmWorker, type RunningScript, startScript } from "./script_host.ts";

/** Peak resident memory since the last reset, in bytes (Linux VmHWM, else a sampled value). */
function peakRss(sampled: number): number {
  if (Deno.build.os === "linux") {
    try {
      const status = Deno.readTextFileSync("/proc/self/status");
      const m = /VmHWM:\s+(\d+) kB/.exec(status);
      if (m) return Number(m[1]) * 1024;
    } catch { /* fall through */ }
  }
  return sampled;
}

function resetPeakRss(): void {
  if (Deno.build.os !== "linux") return;
  try {
    Deno.writeTextFileSync("/proc/self/clear_refs", "5");
  } catch { /* not permitted on this kernel: peak is then over the runner's life */ }
}

/** Entry of the hidden `__runner` subcommand; returns the process exit code. */
export async function runnerMain(): Promise<number> {
  // Keep stdout for frames only.
  const err = (...a: unknown[]) => console.error(...a);
  Object.assign(console, { log: err, info: err, debug: err });

  // Ctrl-C in a terminal reaches the whole process group: the parent decides what a halt
  // means, so the runner ignores SIGINT and waits for the parent's "halt".
  if (Deno.build.os !== "windows") Deno.addSignalListener("SIGINT", () => {});

  const out = new FrameWriter(Deno.stdout.writable);
  const send = (m: RunnerMessage) => out.send(m);
  const pending = new Map<number, { resolve(v: unknown): void; reject(e: Error): void }>();
  let nextId = 1;
  let current: RunningScript | undefined;

  prewarmWorker();
  await send({ t: "ready", pid: Deno.pid });

  for await (const msg of readFrames<ParentMessage>(Deno.stdin.readable)) {
    switch (msg.t) {
      case "start": {
        if (current) break;
        resetPeakRss();
        let sampled = Deno.memoryUsage().rss;
        const sampler = setInterval(() => {
          sampled = Math.max(sampled, Deno.memoryUsage().rss);
        }, 100);
        const script = startScript(msg.job, {
          request: (req) =>
            new Promise((resolve, reject) => {
              const id = nextId++;
              pending.set(id, { resolve, reject });
              send({ t: "request", id, ...req });
            }),
          log: (level, text) => send({ t: "log", level, text, ts: new Date().toISOString() }),
          logDropped: (d) => void send({ t: "logDropped", ...d }),
          progress: (p) => void send({ t: "progress", ...p }),
        });
        current = script;
        script.done.then((end) => {
          clearInterval(sampler);
          current = undefined;
          prewarmWorker();
          send({
            t: "exit",
            code: end.code,
            error: end.error,
            reusable: true,
            peakRssBytes: peakRss(Math.max(sampled, Deno.memoryUsage().rss)),
            bytesTransferred: end.bytesTransferred,
          });
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
        await out.close();
        return 0;
    }
  }
  return 0;
}
