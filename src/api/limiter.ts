/**
 * The limiter of failed authentications: a sliding window of failures per address.
 *
 * @module
 */

/**
 * Counts failed authentications per address in a sliding window; an address over the limit is
 * refused (429) until its oldest failure leaves the window.
 */
export class FailureLimiter {
  readonly #fails = new Map<string, number[]>();
  constructor(readonly max = 10, readonly windowMs = 60_000) {}

  /** Seconds to wait when `ip` is blocked, else 0. */
  blockedFor(ip: string, now = Date.now()): number {
    const list = this.#prune(ip, now);
    if (list.length < this.max) return 0;
    return Math.max(1, Math.ceil((list[0]! + this.windowMs - now) / 1000));
  }

  /** Counts one failed authentication from `ip`. */
  fail(ip: string, now = Date.now()): void {
    const list = this.#prune(ip, now);
    list.push(now);
    this.#fails.set(ip, list);
    if (this.#fails.size > 100_000) this.#fails.clear(); // memory bound under a spray attack
  }

  /** Failures from `ip` within the window. */
  failures(ip: string, now = Date.now()): number {
    return this.#prune(ip, now).length;
  }

  #prune(ip: string, now: number): number[] {
    const list = (this.#fails.get(ip) ?? []).filter((t) => now - t < this.windowMs);
    if (list.length === 0) this.#fails.delete(ip);
    return list;
  }
}
