/**
 * Short timers that do not load Deno's Node layer. On Deno 2.9 the global `setTimeout`,
 * `setInterval` and their `clear` functions are Node's, loaded on first use: about 17 to 21 ms
 * of CPU, which `aft run` paid on its critical path for its first timer (the job's log flush,
 * its memory watch). These wait on `AbortSignal.timeout`, Deno's own timer, instead.
 *
 * A stopped one never calls back again, but its last wait still holds the event loop open until
 * it ends (at most `ms`, as a pending `setTimeout` does): for periods of a second or less, not
 * for long timeouts and not where a timer must not keep the process alive (`Deno.unrefTimer`).
 *
 * @example
 * ```ts
 * const watch = every(50, () => checkMemory());
 * watch.stop();
 * const next = soon(() => flush()); // on a later turn of the event loop
 * ```
 * @module
 */

/** A running timer. */
export interface Ticker {
  /** No call back after this (a call already running finishes). */
  stop(): void;
}

/** Calls `fn` every `ms` milliseconds (as `setInterval`) until stopped. */
export function every(ms: number, fn: () => void): Ticker {
  let stopped = false;
  const arm = () =>
    AbortSignal.timeout(ms).addEventListener("abort", () => {
      if (stopped) return;
      arm(); // first, so that a throwing `fn` stops the timer no more than setInterval's would
      fn();
    }, { once: true });
  arm();
  return { stop: () => void (stopped = true) };
}

/** Calls `fn` once, on a later turn of the event loop (as `setTimeout(fn, 0)`), unless stopped. */
export function soon(fn: () => void): Ticker {
  let stopped = false;
  AbortSignal.timeout(0).addEventListener("abort", () => {
    if (!stopped) fn();
  }, { once: true });
  return { stop: () => void (stopped = true) };
}
