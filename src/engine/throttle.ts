/**
 * Counters of failed authentications, kept in the store so that every process and node on it
 * sees the same counts (`engine.failures`), and the rules built on them: `Throttle` checks a set
 * of limits (each a key, a number of failures and a window) before an attempt is even looked at,
 * and counts a failure under each key. Only failures are throttled: a key over its limit refuses
 * attempts until its oldest failure leaves the window, and attempts refused so are not counted
 * again, so the store holds at most `max` failures a key a window.
 *
 * @example
 * ```ts
 * const t = new Throttle(engine.failures, [{ key: "signin:ip:10.0.0.7", max: 50, windowMs: 900_000 }]);
 * const wait = await t.blockedFor(); // seconds to wait, 0 when the attempt may go on
 * ```
 * @module
 */

import { EngineError, guarded } from "./errors.ts";
import type { EngineCore } from "./types.ts";

/** The shared failure counters. */
export interface FailureOps {
  /** Records one failure now under each key. */
  add(keys: string[]): Promise<void>;
  /**
   * Failures under `key` within the last `windowMs`, and the seconds until the oldest of them
   * leaves the window.
   */
  recent(key: string, windowMs: number): Promise<{ count: number; clearsIn: number }>;
  /** Forgets the failures under `key`. */
  clear(key: string): Promise<void>;
}

/** The failure counters over `core`'s store. */
export function createFailureOps(core: EngineCore, clock: () => number = Date.now): FailureOps {
  const store = core.store;
  return guarded({
    add: (keys: string[]) => store.failures.add(keys, new Date(clock()).toISOString()),
    async recent(key: string, windowMs: number) {
      const now = clock();
      const r = await store.failures.recent(key, new Date(now - windowMs).toISOString());
      const clearsIn = r.oldest === null
        ? 0
        : Math.max(1, Math.ceil((Date.parse(r.oldest) + windowMs - now) / 1000));
      return { count: r.count, clearsIn };
    },
    clear: (key: string) => store.failures.clear(key),
  });
}

/** One limit: at most `max` failures under `key` within `windowMs`. */
export interface Limit {
  key: string;
  max: number;
  windowMs: number;
}

/** Limits checked together for one attempt. */
export class Throttle {
  constructor(readonly failures: FailureOps, readonly limits: Limit[]) {}

  /** Seconds until an attempt may be made, 0 when every limit allows it now. */
  async blockedFor(): Promise<number> {
    let wait = 0;
    for (const l of this.limits) {
      const r = await this.failures.recent(l.key, l.windowMs);
      if (r.count >= l.max) wait = Math.max(wait, r.clearsIn);
    }
    return wait;
  }

  /** Counts a failure under every limit's key. */
  fail(): Promise<void> {
    return this.failures.add(this.limits.map((l) => l.key));
  }

  /** TOO_MANY_FAILURES, saying how long to wait, when an attempt may not be made now. */
  async check(what: string): Promise<void> {
    const wait = await this.blockedFor();
    if (wait > 0) {
      throw new EngineError(
        "TOO_MANY_FAILURES",
        `Too many failed ${what}: try again in ${waitText(wait)}`,
        { retryAfter: wait },
      );
    }
  }
}

/** "40 s", "3 min". */
export function waitText(seconds: number): string {
  return seconds < 120 ? `${seconds} s` : `${Math.ceil(seconds / 60)} min`;
}
