/**
 * The runner process (`aft __runner`): runs one job at a time for its parent, speaking
 * length-prefixed frames on stdin/stdout (`runner_core.ts` does the work). Its stdout carries
 * only frames; anything else it prints goes to stderr. It exits when its parent closes stdin
 * or says `shutdown`.
 *
 * @module
 */

import { FrameWriter, readFrames } from "../protocol/frames.ts";
import type { ParentMessage, RunnerMessage } from "../protocol/messages.ts";
import { createRunnerCore } from "./runner_core.ts";
import { mark, takeMarks, timingsOn } from "../../timings.ts";

/** Entry of the hidden `__runner` subcommand; returns the process exit code. */
export async function runnerMain(): Promise<number> {
  // Keep stdout for frames only.
  const err = (...a: unknown[]) => console.error(...a);
  Object.assign(console, { log: err, info: err, debug: err });

  // Ctrl-C in a terminal reaches the whole process group: the parent decides what a halt
  // means, so the runner ignores SIGINT and waits for the parent's "halt".
  if (Deno.build.os !== "windows") Deno.addSignalListener("SIGINT", () => {});

  const out = new FrameWriter(Deno.stdout.writable);
  mark("runner modules loaded", "runner");
  // A runner process's marks go to its parent with the job's end (`timings.ts`).
  const core = createRunnerCore((m: RunnerMessage) =>
    out.send(m.t === "exit" && timingsOn() ? { ...m, timings: takeMarks() } : m)
  );
  await out.send({ t: "ready", pid: Deno.pid });
  mark("ready sent", "runner");

  for await (const msg of readFrames<ParentMessage>(Deno.stdin.readable)) {
    if (!core.handle(msg)) {
      await out.close();
      return 0;
    }
  }
  return 0;
}
