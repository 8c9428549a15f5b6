/**
 * A counting limit: at most `size` holders at once, the others waiting their turn in the order
 * they came. A slot given back goes straight to the first waiter, so a newcomer arriving between
 * the give and the waiter's resumption cannot take it too (a hand-off, not a recount).
 *
 * @example
 * ```ts
 * const hashing = new Slots(2);
 * const key = await hashing.run(() => derive(password)); // at most two at once
 * ```
 * @module
 */

/** At most `size` holders at once. */
export class Slots {
  #free: number;
  #waiting: (() => void)[] = [];

  constructor(size: number) {
    if (!(size >= 1)) throw new RangeError(`Slots need a size of at least 1, not ${size}`);
    this.#free = size;
  }

  /** Resolves once the caller holds a slot (give it back with {@linkcode give}). */
  take(): Promise<void> {
    if (this.#free > 0) {
      this.#free--;
      return Promise.resolve();
    }
    return new Promise<void>((resolve) => this.#waiting.push(resolve));
  }

  /** Gives a slot back: to the first waiter, else to the free ones. */
  give(): void {
    const next = this.#waiting.shift();
    if (next) next();
    else this.#free++;
  }

  /** Runs `fn` holding a slot, given back however `fn` ends. */
  async run<T>(fn: () => Promise<T>): Promise<T> {
    await this.take();
    try {
      return await fn();
    } finally {
      this.give();
    }
  }
}
