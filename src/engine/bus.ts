/**
 * The in-process event bus: job status changes, log lines and progress, fanned out to API
 * streams, the web UI and `aft run`.
 *
 * @module
 */

import type { EngineEvent, EventBus } from "./types.ts";

/** Creates a bus; a listener that throws does not stop the others. */
export function createBus(): EventBus {
  const listeners = new Set<(e: EngineEvent) => void>();
  return {
    emit(event) {
      for (const fn of listeners) {
        try {
          fn(event);
        } catch { /* a broken listener must not break the job */ }
      }
    },
    on(fn) {
      listeners.add(fn);
      return () => listeners.delete(fn);
    },
  };
}
