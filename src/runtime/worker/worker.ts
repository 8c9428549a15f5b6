/**
 * Entry of a script's Worker (started with `deno: { permissions: "none" }`). It holds no logic
 * of its own: for each `init` it installs the prelude in a fresh context (the first one made
 * as the Worker starts, before its job arrives) and runs the script there, one run at a time.
 * The host sends a Worker only runs of one script (see `runner/script_host.ts`).
 *
 * @module
 */

import { installPrelude, lockWorkerGlobal, noteUncaught } from "./prelude.ts";
import type { WorkerInit, WorkerMessage } from "../protocol/messages.ts";
import { addMarks, enableTimings, mark, now } from "../../timings.ts";
import { createScriptRealm, type ScriptRealm } from "./script_realm.ts";

/** When this module ran: kept for the timeline, should the job ask for it. */
const evaluated = now();

/**
 * The context of the first run, made now, while the host still sets the job up (a context
 * takes V8 several milliseconds to make: off the job's path this way). No script has run in
 * it; later runs of a reused Worker each get a context made when they start.
 */
let ahead: ScriptRealm | undefined = createScriptRealm();
/** When the first run's context was ready (for the timeline). */
const realmMade = now();

const scope = globalThis as unknown as {
  postMessage(m: WorkerMessage): void;
  close(): void;
  addEventListener(type: "message", fn: (e: MessageEvent<WorkerInit>) => void): void;
  addEventListener(type: "unhandledrejection", fn: (e: PromiseRejectionEvent) => void): void;
  addEventListener(type: "error", fn: (e: ErrorEvent) => void): void;
};
const post = scope.postMessage.bind(scope);
const closeSelf = scope.close.bind(scope);
let running = false;
let first = true;

// A promise the script rejected and did not handle, or an exception in a timer's callback,
// fails its run, with the script's message in the job's log, and nothing more: unprevented,
// Deno printed its own coloured "error: Uncaught (in worker ...)" on the process's stderr
// beside aft's line.
scope.addEventListener("unhandledrejection", (e) => {
  e.preventDefault();
  noteUncaught(e.reason, true);
});
scope.addEventListener("error", (e) => {
  e.preventDefault();
  noteUncaught(e.error, false);
});

scope.addEventListener("message", (e) => {
  // See WorkerWarm: answered at once, nothing else.
  if ((e.data as { t?: string } | null)?.t === "warm") return post({ t: "warm" });
  if (e.data?.t !== "init" || running) return;
  running = true;
  if (e.data.timings) {
    enableTimings();
    if (first) {
      addMarks([
        { label: "worker modules loaded", at: evaluated },
        { label: "first context made", at: realmMade },
      ], "worker");
    }
    mark("init received", "worker");
  }
  // After the first marks, which look for the thread's CPU time with Deno's help.
  if (first) lockWorkerGlobal();
  first = false;
  const realm = ahead;
  ahead = undefined;
  const run = installPrelude(e.data, post, closeSelf, realm);
  void run().finally(() => running = false);
});
