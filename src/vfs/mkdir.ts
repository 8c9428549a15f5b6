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
