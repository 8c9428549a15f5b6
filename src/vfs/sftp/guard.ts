/**
 * Calls on one SFTP connection that a lost connection fails: ssh2 does not always answer the
 * callbacks of a dead channel, so without this a call could wait forever. Pending calls are
 * kept in a set and dropped when they settle: racing each call against one long-lived promise
 * instead would keep every result (read buffers) alive until the end.
 *
 * @module
 */

import type { VfsError } from "../types.ts";

/** Runs one SFTP call's executor; rejects with the connection's loss if it comes first. */
export type Guard = <T>(
  executor: (resolve: (v: T) => void, reject: (e: unknown) => void) => void,
) => Promise<T>;

/** The guard of one connection, and what fails its calls once the connection is lost. */
export function connectionGuard(): { guard: Guard; lose(err: VfsError): void } {
  const pending = new Set<(e: VfsError) => void>();
  let lost: VfsError | undefined;
  const guard: Guard = <T>(
    executor: (resolve: (v: T) => void, reject: (e: unknown) => void) => void,
  ) =>
    new Promise<T>((res, rej) => {
      if (lost) return rej(lost);
      const onLost = (e: VfsError) => rej(e);
      pending.add(onLost);
      try {
        executor((v) => {
          pending.delete(onLost);
          res(v);
        }, (e) => {
          pending.delete(onLost);
          rej(e);
        });
      } catch (err) {
        pending.delete(onLost);
        rej(err);
      }
    });
  const lose = (err: VfsError) => {
    lost = err;
    for (const f of pending) f(err);
    pending.clear();
  };
  return { guard, lose };
}
