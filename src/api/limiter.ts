/**
 * The limiter of failed authentications to the API: a sliding window of failures per address.
 * The counts live in the store (`engine.failures`), so every node on a shared store sees the
 * same ones; a limiter without a store keeps them in memory (tests).
 *
 * @module
 */

import type { FailureOps } from "../engine/mod.ts";

/** Where failures are counted: the store's counters, or `MemoryFailures`. */
export type FailureCounter = Pick<FailureOps, "add" | "recent">;

/** Failure counts in this process's memory, with a clock of the caller's choosing. */
export class MemoryFailures implements FailureCounter {
  readonly #fails = new Map<string, number[]>();
  constructor(readonly clock: () => number = Date.now) {}

  add(keys: string[]): Promise<void> {
    const now = this.clock();
    for (const k of keys) {
      this.#fails.set(k, [...(this.#fails.get(k) ?? []), now]);
      if (this.#fails.size > 100_000) this.#fails.clear(); // memory bound under a spray attack
    }
    return Promise.resolve();
  }

  recent(key: string, windowMs: number): Promise<{ count: number; clearsIn: number }> {
    const now = this.clock();
    const list = (this.#fails.get(key) ?? []).filter((t) => now - t < windowMs);
    if (list.length === 0) this.#fails.delete(key);
    else this.#fails.set(key, list);
    const clearsIn = list.length === 0
      ? 0
      : Math.max(1, Math.ceil((list[0]! + windowMs - now) / 1000));
    return Promise.resolve({ count: list.length, clearsIn });
  }
}

/**
 * Counts failed authentications per address in a sliding window; an address with `max` of
 * them is refused (429) until its oldest failure leaves the window. Failures refused so are not
 * counted again, so an address that keeps failing gets a try now and then, and the store holds
 * at most `max` failures an address a window.
 */
export class FailureLimiter {
  readonly counter: FailureCounter;
  /** Told when an address reaches `max` failures (once per lock-out, for the service's log). */
  onLockout?: (ip: string, seconds: number) => void;
  constructor(readonly max = 10, readonly windowMs = 60_000, counter?: FailureCounter) {
    this.counter = counter ?? new MemoryFailures();
  }

  #key(ip: string): string {
    return `apikey:ip:${ip}`;
  }

  /** Seconds to wait when `ip` is blocked, else 0. */
  async blockedFor(ip: string): Promise<number> {
    const r = await this.counter.recent(this.#key(ip), this.windowMs);
    return r.count >= this.max ? r.clearsIn : 0;
  }

  /**
   * Counts one failed authentication from `ip`, unless it is blocked already; returns the
   * seconds to wait when it is (the failure is then answered with 429), else 0.
   */
  async fail(ip: string): Promise<number> {
    const wait = await this.blockedFor(ip);
    if (wait > 0) return wait;
    await this.counter.add([this.#key(ip)]);
    if (this.onLockout) {
      const now = await this.blockedFor(ip);
      if (now > 0) this.onLockout(ip, now);
    }
    return 0;
  }
}
