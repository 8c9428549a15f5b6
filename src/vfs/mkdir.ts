/**
 * `mkdir -p` for backends whose servers make one folder at a time (SFTP, FTP).
 *
 * @module
 */

import { joinPath, normalizePath } from "./path.ts";
import { type FileInfo, isVfsError, VfsError } from "./types.ts";

/**
 * Makes each missing folder of `path` in turn. Another client (a second job, or a concurrent
 * call in this one) may make the same folder between the check and the make: that is success,
 * as long as what is there is a folder.
 */
export async function mkdirEach(
  path: string,
  stat: (p: string) => Promise<FileInfo>,
  mkdirOne: (p: string) => Promise<void>,
): Promise<void> {
  const statOrNone = (p: string) =>
    stat(p).catch((e) => {
      if (isVfsError(e, "NOT_FOUND")) return undefined;
      throw e;
    });
  const notDir = (p: string) => new VfsError("NOT_DIR", `Not a folder: "${p}"`, { path: p });
  let cur = "/";
  for (const seg of normalizePath(path).split("/").filter(Boolean)) {
    cur = joinPath(cur, seg);
    const st = await statOrNone(cur);
    if (st && !st.isDir) throw notDir(cur);
    if (st) continue;
    try {
      await mkdirOne(cur);
    } catch (err) {
      if (!isVfsError(err, "ALREADY_EXISTS")) throw err;
      if (!(await stat(cur)).isDir) throw notDir(cur);
    }
  }
}

/**
 * The error to throw when a server refused to make folder `p` with a reply that does not say
 * why (OpenSSH's plain FAILURE, FTP's 550): it already exists, its parent is missing or not a
 * folder, or else the server's own `err`.
 */
export async function mkdirFailure(
  p: string,
  err: unknown,
  stat: (p: string) => Promise<FileInfo>,
): Promise<unknown> {
  const st = await stat(p).catch(() => undefined);
  if (st) return new VfsError("ALREADY_EXISTS", `Already exists: "${p}"`, { path: p });
  const parent = await stat(joinPath(p, "..")).catch(() => undefined);
  if (!parent) {
    return new VfsError("NOT_FOUND", `Parent folder of "${p}" does not exist`, { path: p });
  }
  if (!parent.isDir) {
    return new VfsError("NOT_DIR", `Not a folder: "${parent.path}"`, { path: p });
  }
  return err;
}
