/**
 * Turns Deno's file system errors into VfsError codes: the one place the disk backend does it.
 *
 * @module
 */

import { VfsError } from "../types.ts";

/** Maps `err` from an operation on VFS path `path`. */
export function mapDiskError(err: unknown, path: string): VfsError {
  if (err instanceof VfsError) return err;
  const e = err as Error & { code?: string };
  const msg = (what: string) => `${what}: "${path}"`;
  if (err instanceof Deno.errors.NotFound) {
    return new VfsError("NOT_FOUND", msg("No such file or folder"), { cause: err, path });
  }
  if (err instanceof Deno.errors.AlreadyExists) {
    return new VfsError("ALREADY_EXISTS", msg("Already exists"), { cause: err, path });
  }
  if (err instanceof Deno.errors.PermissionDenied || err instanceof Deno.errors.NotCapable) {
    return new VfsError("PERMISSION_DENIED", msg("Permission denied"), { cause: err, path });
  }
  if (err instanceof Deno.errors.NotADirectory || e.code === "ENOTDIR") {
    return new VfsError("NOT_DIR", msg("Not a folder"), { cause: err, path });
  }
  if (err instanceof Deno.errors.IsADirectory || e.code === "EISDIR") {
    return new VfsError("IS_DIR", msg("Is a folder"), { cause: err, path });
  }
  if (e.code === "ENOTEMPTY" || /not empty/i.test(e.message ?? "")) {
    return new VfsError("NOT_EMPTY", msg("Folder is not empty"), { cause: err, path });
  }
  if (err instanceof Deno.errors.InvalidData || e.code === "ENAMETOOLONG" || e.code === "EINVAL") {
    return new VfsError("INVALID_PATH", `${msg("Invalid path")}: ${e.message}`, {
      cause: err,
      path,
    });
  }
  if (e.code === "ENOSPC") {
    return new VfsError("IO", msg("No space left on the device"), { cause: err, path });
  }
  return new VfsError("IO", `${msg("I/O error")}: ${e.message ?? String(err)}`, {
    cause: err,
    path,
  });
}
