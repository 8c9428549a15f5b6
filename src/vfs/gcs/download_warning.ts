/**
 * Silences the one false alarm the GCS client raises on every download. Since its request
 * layer moved to `node-fetch` 3 (teeny-request 11, in @google-cloud/storage from 8.0.1), each
 * `createReadStream` stacks pipelines on one response stream until it holds 11 `error` and 11
 * `close` listeners, and Node's leak heuristic prints two `MaxListenersExceededWarning`s to
 * standard error per file ("Possible EventEmitter memory leak detected"): an `aft run` that
 * downloaded two files printed four. Reported upstream as
 * googleapis/google-cloud-node#9185 (open). The listeners go with their stream; nothing grows.
 *
 * Only that warning is dropped (a `PassThrough`'s `error` or `close` listeners); every other
 * warning still reaches the listeners that were there (Deno's printer to standard error).
 *
 * @module
 */

import process from "node:process";

interface ListenerWarning extends Error {
  emitter?: unknown;
  type?: unknown;
}

/** True for the warning of a download's stacked pipelines. */
export function isDownloadPipelineWarning(w: ListenerWarning): boolean {
  return w.name === "MaxListenersExceededWarning" &&
    (w.type === "error" || w.type === "close") &&
    (w.emitter as { constructor?: { name?: string } } | undefined)?.constructor?.name ===
      "PassThrough";
}

let installed = false;

/** Puts the filter in front of the process's warning listeners (once per process). */
export function quietDownloadWarning(): void {
  if (installed) return;
  installed = true;
  const before = process.listeners("warning");
  process.removeAllListeners("warning");
  process.on("warning", (w: ListenerWarning) => {
    if (isDownloadPipelineWarning(w)) return;
    for (const listener of before) listener(w);
  });
}
