/**
 * What the service log says when the store cannot be written: a full disk once, not once per
 * batch of log lines (said again only after a minute without that failure); any other
 * failure each time.
 *
 * @module
 */

import { StoreError } from "../store/types.ts";

/** A full disk is reported again after this long without a write failing for that reason. */
const QUIET_MS = 60_000;

let lastFull = -Infinity;

/** True when `err` says the disk (or the database) is full. */
export function isDiskFull(err: unknown): boolean {
  if (err instanceof StoreError) return err.code === "FULL";
  return /database or disk is full|no space left on device|ENOSPC/i.test(String(err));
}

/** Reports a failed store write (`what`: "cannot store log lines of job X") on stderr. */
export function reportStoreFailure(what: string, err: unknown): void {
  if (isDiskFull(err)) {
    const now = performance.now();
    const quiet = now - lastFull > QUIET_MS;
    lastFull = now;
    if (quiet) console.error(`aft: disk full: ${what} (said once while the disk stays full)`);
    return;
  }
  console.error(`aft: ${what}: ${err instanceof Error ? err.message : String(err)}`);
}
