/**
 * API keys found by hash, kept for `APIKEY_CACHE_MS` so that a client starting jobs in a loop
 * does not cost a store read per request. Only keys that exist are kept (an unknown key is
 * looked up each time: a key created a moment ago works at once, and random keys cannot fill
 * the memory).
 *
 * A removed key stops working:
 * - at once when it is removed through this engine (`clear()`, also for lookups that were
 *   under way then: their answer is not kept);
 * - at once on SQLite when another process removes it (the store's `changeMark`, SQLite's
 *   `data_version`, changes with every commit of another connection and empties the cache);
 * - within `APIKEY_CACHE_MS` on the other nodes of a PostgreSQL store, less than the shortest
 *   node lease a cluster can be set to (`nodeLeaseSeconds` is at least 3).
 *
 * @module
 */

import type { ApiKeyRecord } from "../store/types.ts";

/** How long a key found in the store is taken as it was. */
export const APIKEY_CACHE_MS = 2_000;

/** Keys kept at most (past it the cache starts again empty). */
const MAX_KEYS = 1_000;

/** A lookup under way: the cache's generation and the store's change mark when it began. */
export interface Lookup {
  generation: number;
  mark: unknown;
}

interface Entry {
  rec: ApiKeyRecord;
  at: number;
}

/** See the module's doc. */
export class ApiKeyCache {
  readonly #keys = new Map<string, Entry>();
  #generation = 0;
  #mark: unknown;

  /**
   * `mark` reads the store's change mark (undefined where the store has none); `clock` gives
   * the time in milliseconds.
   */
  constructor(
    readonly mark: () => unknown = () => undefined,
    readonly clock: () => number = Date.now,
  ) {}

  /** Where a lookup starts (before the store is read): give it to `set` with the answer. */
  begin(): Lookup {
    return { generation: this.#generation, mark: this.mark() };
  }

  /** The key with hash `hash` when it is kept and still valid. */
  get(hash: string): ApiKeyRecord | undefined {
    if (this.#keys.size === 0) return undefined;
    const mark = this.mark();
    if (mark !== this.#mark) {
      this.clear();
      this.#mark = mark;
      return undefined;
    }
    const e = this.#keys.get(hash);
    if (!e) return undefined;
    if (this.clock() - e.at >= APIKEY_CACHE_MS) {
      this.#keys.delete(hash);
      return undefined;
    }
    return e.rec;
  }

  /**
   * Keeps `rec`, found by `lookup`, unless this engine changed the keys since. It is kept under
   * the change mark read before the store was: a commit by another connection since then
   * empties the cache at the next `get`.
   */
  set(hash: string, rec: ApiKeyRecord, lookup: Lookup): void {
    if (lookup.generation !== this.#generation) return;
    if (this.#keys.size >= MAX_KEYS || lookup.mark !== this.#mark) this.#keys.clear();
    this.#mark = lookup.mark;
    this.#keys.set(hash, { rec, at: this.clock() });
  }

  /** Forgets every key, and the answers of lookups under way. */
  clear(): void {
    this.#keys.clear();
    this.#generation++;
  }
}
