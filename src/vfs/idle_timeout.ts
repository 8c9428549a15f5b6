/**
 * The `idleTimeoutSeconds` option of the remote backends that have it (SFTP, S3, Azure Blob,
 * GCS): how long a request may wait with nothing at all coming from the server before it fails.
 * A server that accepts a connection, or keeps it alive, and then answers nothing held a
 * transfer, and its job, for ever. Each backend applies it where its client allows: SFTP's own
 * stall watch, the S3 handler's `socketTimeout`, idle connection pools for Azure
 * (`idle_agent.ts`), a watch on each call and stream step for GCS
 * (`object_store/idle_watch.ts`).
 *
 * @module
 */

import { VfsError } from "./types.ts";

/** The default: 5 minutes, as rclone's `--timeout`. */
export const IDLE_TIMEOUT_MS = 300_000;

/** The option (a whole number of seconds from 1 to 86,400, as text or number) in ms. */
export function idleTimeoutOption(v: unknown): number {
  if (v === undefined || v === "") return IDLE_TIMEOUT_MS;
  const n = Number(v);
  if (!Number.isInteger(n) || n < 1 || n > 86_400) {
    throw new VfsError(
      "INVALID_PATH",
      'The "idleTimeoutSeconds" option must be a whole number from 1 to 86400',
    );
  }
  return n * 1000;
}
