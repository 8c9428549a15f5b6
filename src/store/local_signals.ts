/**
 * Store signals within one process, for SQLite: every store opened on the same database file in
 * this process shares one set of listeners. Other processes on the file do not hear them (they
 * poll the store).
 *
 * @module
 */

import type { StoreChannel, StoreSignals } from "./types.ts";

type Listener = (payload: string) => void;

const byDatabase = new Map<string, Map<StoreChannel, Set<Listener>>>();

/** Signals shared by every store on `key` (the database file) in this process. */
export class LocalSignals implements StoreSignals {
  readonly #key: string;

  constructor(key: string) {
    this.#key = key;
  }

  #channel(channel: StoreChannel): Set<Listener> {
    let db = byDatabase.get(this.#key);
    if (!db) byDatabase.set(this.#key, db = new Map());
    let set = db.get(channel);
    if (!set) db.set(channel, set = new Set());
    return set;
  }

  listen(
    channel: StoreChannel,
    fn: Listener,
    opts: { onListen?: () => void } = {},
  ): Promise<() => Promise<void>> {
    // Each call is its own listener, even for the same function.
    const listener: Listener = (p) => fn(p);
    this.#channel(channel).add(listener);
    if (opts.onListen) queueMicrotask(opts.onListen);
    return Promise.resolve(() => {
      this.#channel(channel).delete(listener);
      return Promise.resolve();
    });
  }

  notify(channel: StoreChannel, payload: string): Promise<void> {
    this.send(channel, payload);
    return Promise.resolve();
  }

  /** Delivers after the current code, as a commit would (listeners never run inside a write). */
  send(channel: StoreChannel, payload: string): void {
    for (const l of [...this.#channel(channel)]) {
      queueMicrotask(() => {
        try {
          l(payload);
        } catch { /* a listener's failure is its own */ }
      });
    }
  }
}
