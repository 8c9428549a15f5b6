/**
 * Entry of a script's Worker (started with `deno: { permissions: "none" }`). It holds no logic
 * of its own: it installs the prelude and runs the script.
 *
 * @module
 */

import { installPrelude } from "./prelude.ts";
import type { WorkerInit, WorkerMessage } from "../protocol/messages.ts";
import { addMarks, enableTimings, mark, now } from "../../timings.ts";

/** When this module ran: kept for the timeline, should the job ask for it. */
const evaluated = now();

const scope = globalThis as unknown as {
  postMessage(m: WorkerMessage): void;
  close(): void;
  onmessage: ((e: MessageEvent<WorkerInit>) => void) | null;
};
const post = scope.postMessage.bind(scope);
const closeSelf = scope.close.bind(scope);

scope.onmessage = (e) => {
  scope.onmessage = null;
  if (e.data.timings) {
    enableTimings();
    addMarks([{ label: "worker modules loaded", at: evaluated }], "worker");
    mark("init received", "worker");
  }
  const run = installPrelude(e.data, post, closeSelf);
  void run();
};
