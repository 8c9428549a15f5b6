/**
 * Walks a tree depth-first: each folder is yielded before its contents. Paths are full VFS
 * paths; the starting folder itself is not yielded.
 *
 * @example
 * ```ts
 * for await (const info of walk(vfs, "/in")) if (!info.isDir) total += info.size;
 * ```
 * @module
 */

import { type FileInfo, type Vfs, VfsError } from "./types.ts";
import { normalizePath } from "./path.ts";

/** Deeper than this is taken as a link loop. */
const MAX_DEPTH = 256;

/** Every entry under `dir`, folders first, sorted by name within a folder. */
export async function* walk(vfs: Vfs, dir: string, depth = 0): AsyncGenerator<FileInfo> {
  if (depth > MAX_DEPTH) {
    throw new VfsError(
      "INVALID_PATH",
      `Folder tree deeper than ${MAX_DEPTH} levels (a link loop?): "${dir}"`,
    );
  }
  const entries = await vfs.list(normalizePath(dir));
  entries.sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
  for (const e of entries) {
    yield e;
    if (e.isDir && !e.isSymlink) yield* walk(vfs, e.path, depth + 1);
  }
}
