/**
 * Store signals across nodes with PostgreSQL's LISTEN and NOTIFY. The client keeps one extra
 * connection for listening; when it drops, the client connects again and listens again, retrying
 * for as long as the database is away (tested with an outage longer than the connect timeout),
 * and calls `onListen` each time so the caller can look at the store for what it missed.
 *
 * @module
 */

import type postgres from "postgres";
import type { StoreChannel, StoreSignals } from "../types.ts";

/** The PostgreSQL channel of a store channel. */
export function pgChannel(channel: StoreChannel): string {
  return `aft_${channel}`;
}

/** Signals over `sql`'s LISTEN connection. */
export class PgSignals implements StoreSignals {
  readonly #sql: postgres.Sql;

  constructor(sql: postgres.Sql) {
    this.#sql = sql;
  }

  async listen(
    channel: StoreChannel,
    fn: (payload: string) => void,
    opts: { onListen?: () => void } = {},
  ): Promise<() => Promise<void>> {
    const req = await this.#sql.listen(pgChannel(channel), (payload) => {
      try {
        fn(payload);
      } catch { /* a listener's failure is its own */ }
    }, opts.onListen);
    return () => req.unlisten();
  }

  async notify(channel: StoreChannel, payload: string): Promise<void> {
    await this.#sql.notify(pgChannel(channel), payload);
  }
}
