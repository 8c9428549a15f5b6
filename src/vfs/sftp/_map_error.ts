/**
 * SFTP errors as VfsError: the protocol's status codes, the SSH client's authentication failure, and
 * the network's errors, each with the code the copy engine and the runtime act on.
 *
 * @module
 */

import { VfsError, type VfsErrorCode } from "../types.ts";

/** SFTP status codes (draft-ietf-secsh-filexfer) that aft tells apart. */
export const STATUS = { EOF: 1, NO_SUCH_FILE: 2, PERMISSION_DENIED: 3, FAILURE: 4 } as const;

/** The VfsError for an SFTP or connection failure (on `path`, when known). */
export function mapError(err: unknown, path?: string): VfsError {
  if (err instanceof VfsError) return err;
  const e = err as { code?: number | string; message?: string; level?: string };
  const where = path ? `: "${path}"` : "";
  if (typeof e.code === "number") {
    const table: Record<number, [VfsErrorCode, string]> = {
      [STATUS.NO_SUCH_FILE]: ["NOT_FOUND", "No such file or folder"],
      [STATUS.PERMISSION_DENIED]: ["PERMISSION_DENIED", "Permission denied"],
    };
    const hit = table[e.code];
    if (hit) return new VfsError(hit[0], `${hit[1]}${where}`, { cause: err, path });
    return new VfsError("IO", `SFTP error${where}: ${e.message}`, { cause: err, path });
  }
  if (e.level === "client-authentication") {
    return new VfsError(
      "AUTH_FAILED",
      "The SFTP server refused the credentials (user, password or key)",
      { cause: err },
    );
  }
  const msg = e.message ?? String(err);
  if (e.code === "ECONNREFUSED") {
    return new VfsError("CONNECTION", `Connection refused${where}: ${msg}`, { cause: err });
  }
  if (e.code === "ENOTFOUND" || e.code === "EAI_AGAIN") {
    return new VfsError("CONNECTION", `Host name not found: ${msg}`, {
      cause: err,
      retryable: false,
    });
  }
  if (/Timed out/i.test(msg)) return new VfsError("TIMEOUT", `SFTP: ${msg}`, { cause: err });
  return new VfsError("CONNECTION", `SFTP connection failed${where}: ${msg}`, { cause: err });
}
