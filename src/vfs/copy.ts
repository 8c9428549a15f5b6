/**
 * The copy engine, written once over the VFS contract: CopyToVFS, MoveToVFS and the v3
 * clients' Upload/Download all come here.
 *
 * Each file streams from source to destination with back-pressure (never buffered whole),
 * under a temporary name in the destination folder, and is renamed into place only once its
 * size (and, with `verify`, its hash) checks out. A failure, an abort or a source that breaks
 * mid-stream removes the temporary file, so the final name never shows a partial file.
 *
 * @example
 * ```ts
 * const r = await copyToVfs(src, "/out/*.csv", dst, "/in", { overwrite: "ifNewer" });
 * if (!r.ok) console.error(r.errors);
 * ```
 * @module
 */

import { hasGlob, matchGlob } from "./glob.ts";
import { basename, dirname, joinPath, normalizePath, relativeTo } from "./path.ts";
import { type FileInfo, type HashAlgorithm, isVfsError, type Vfs, VfsError } from "./types.ts";
import { walk } from "./walk.ts";

export type OverwritePolicy = "never" | "always" | "ifDiffSize" | "ifNewer";

export interface CopyOptions {
  /** What to do when the destination file exists (default `never`, as in AFT!). */
  overwrite?: OverwritePolicy;
  /** Compare a hash of both ends when both can give one (size is always checked). */
  verify?: boolean;
  /** Give the destination the source's modification time. */
  preserveTime?: boolean;
  /** Files copied at once (default 4). */
  concurrency?: number;
  /** Remove each source file once its copy is complete and verified. */
  move?: boolean;
  signal?: AbortSignal;
  /** Called at most every 200 ms, and once at the end with `done: true`. */
  onProgress?: (p: CopyProgress) => void;
  /** Attempts after a transient failure (default 3), with backoff. */
  retries?: number;
  /** After a file fails for good, start no further files (those under way finish). */
  stopOnError?: boolean;
}

export interface CopyProgress {
  files: number;
  filesTotal: number;
  bytes: number;
  bytesTotal: number;
  path: string;
  /** Bytes per second over the run so far. */
  rate: number;
  done: boolean;
}

export interface CopyResult {
  ok: boolean;
  files: number;
  bytes: number;
  skipped: number;
  errors: { path: string; code: string; message: string }[];
}

interface Item {
  from: FileInfo;
  to: string;
}

const PROGRESS_MS = 200;

/** Copies a file, a folder's tree, or the files matching a glob into folder `dstDir`. */
export async function copyToVfs(
  src: Vfs,
  srcPath: string,
  dst: Vfs,
  dstDir: string,
  opts: CopyOptions = {},
): Promise<CopyResult> {
  const result: CopyResult = { ok: true, files: 0, bytes: 0, skipped: 0, errors: [] };
  const fail = (path: string, err: unknown) => {
    result.ok = false;
    const e = isVfsError(err)
      ? err
      : new VfsError("IO", err instanceof Error ? err.message : String(err));
    result.errors.push({ path, code: e.code, message: e.message });
  };

  let plan: { items: Item[]; dirs: string[]; srcDir?: string };
  try {
    plan = await makePlan(src, srcPath, normalizePath(dstDir));
    await dst.mkdir(normalizePath(dstDir), { recursive: true });
    for (const d of plan.dirs) await dst.mkdir(d, { recursive: true });
  } catch (err) {
    fail(srcPath, err);
    return result;
  }

  const started = performance.now();
  const bytesTotal = plan.items.reduce((n, i) => n + i.from.size, 0);
  let lastReport = 0;
  let current = "";
  const report = (done = false) => {
    if (!opts.onProgress) return;
    const now = performance.now();
    if (!done && now - lastReport < PROGRESS_MS) return;
    lastReport = now;
    const secs = Math.max((now - started) / 1000, 0.001);
    opts.onProgress({
      files: result.files,
      filesTotal: plan.items.length,
      bytes: result.bytes,
      bytesTotal,
      path: current,
      rate: Math.round(result.bytes / secs),
      done,
    });
  };

  const lookup = destinationLookup(dst, plan.items);
  const queue = [...plan.items];
  const moved: string[] = [];
  const worker = async () => {
    for (let item = queue.shift(); item; item = queue.shift()) {
      if (opts.signal?.aborted) {
        fail(item.from.path, new VfsError("CANCELLED", "Transfer cancelled"));
        continue;
      }
      current = item.from.path;
      const state: ResumeState = {};
      try {
        const copied = await withRetries(opts, () =>
          copyOne(
            src,
            item!,
            dst,
            opts,
            (n) => {
              result.bytes += n;
              report();
            },
            state,
            lookup,
          )).catch(async (err) => {
            // The last attempt failed: a temporary file kept for resuming goes now.
            if (state.tmp) await discard(dst, state.tmp);
            throw err;
          });
        if (copied) result.files++;
        else result.skipped++;
        if (opts.move) {
          await src.remove(item.from.path);
          moved.push(item.from.path);
        }
      } catch (err) {
        fail(item.from.path, err);
        if (opts.stopOnError) queue.length = 0;
      }
      report();
    }
  };
  const n = Math.max(1, Math.min(opts.concurrency ?? 4, 64, plan.items.length || 1));
  await Promise.all(Array.from({ length: n }, worker));

  if (opts.move && plan.srcDir && result.ok) await removeEmptied(src, plan.srcDir);
  report(true);
  return result;
}

async function makePlan(src: Vfs, srcPath: string, dstDir: string) {
  const sp = normalizePath(srcPath);
  const items: Item[] = [];
  const dirs: string[] = [];
  const last = basename(sp);
  if (hasGlob(last)) {
    for (const info of await src.list(dirname(sp))) {
      if (!info.isDir && matchGlob(last, info.name)) {
        items.push({ from: info, to: joinPath(dstDir, info.name) });
      }
    }
    return { items, dirs };
  }
  const info = await src.stat(sp);
  if (!info.isDir) return { items: [{ from: info, to: joinPath(dstDir, info.name) }], dirs };
  for await (const e of walk(src, sp)) {
    const to = joinPath(dstDir, relativeTo(sp, e.path) ?? e.name);
    if (e.isDir) dirs.push(to);
    else items.push({ from: e, to });
  }
  return { items, dirs, srcDir: sp };
}

/**
 * Kept across the retries of one file: the temporary name, so that after a transient failure
 * (a dropped connection) the next attempt continues the partial temporary file where it ended,
 * when the source can read from an offset and the destination can append; otherwise the next
 * attempt starts over.
 */
interface ResumeState {
  tmp?: string;
  /** Set once the first attempt began. */
  attempted?: boolean;
}

/**
 * Removes a temporary file after a failure. The failure is often a dropped connection, and
 * the first remove can go out on that same dead connection before the backend has noticed;
 * a retryable error is tried again (the backend reconnects), so nothing is left behind.
 */
async function discard(dst: Vfs, tmp: string): Promise<void> {
  for (let attempt = 0; attempt < 3; attempt++) {
    try {
      await dst.remove(tmp);
      return;
    } catch (err) {
      if (!isVfsError(err) || !err.retryable) return; // NOT_FOUND: never written, or gone
      await new Promise((r) => setTimeout(r, 100 * 2 ** attempt));
    }
  }
}

function statOrNone(vfs: Vfs, path: string): Promise<FileInfo | undefined> {
  return vfs.stat(path).catch((e) => {
    if (isVfsError(e, "NOT_FOUND")) return undefined;
    throw e;
  });
}

/**
 * Folders receiving at least this many files are listed once instead of a stat per file.
 * Listing costs about as much as a stat per 1,000 entries (an S3 page, an SFTP readdir batch),
 * so it wins whenever the folder holds fewer than about LIST_AT x 1,000 entries; a few dozen
 * files dropped into a folder of millions would be the losing case, which is why the threshold
 * is not lower.
 */
export const LIST_AT = 32;

/**
 * What is at a destination path before copying. A folder that receives many files is listed
 * once (as rclone does) rather than asked about each file; a folder that does not exist yet
 * holds nothing. Other paths get a stat.
 */
function destinationLookup(
  dst: Vfs,
  items: Item[],
): (to: string) => Promise<FileInfo | undefined> {
  const perDir = new Map<string, number>();
  for (const i of items) perDir.set(dirname(i.to), (perDir.get(dirname(i.to)) ?? 0) + 1);
  const listings = new Map<string, Promise<Map<string, FileInfo>>>();
  return async (to) => {
    const dir = dirname(to);
    if ((perDir.get(dir) ?? 0) < LIST_AT) return await statOrNone(dst, to);
    let listing = listings.get(dir);
    if (!listing) {
      listing = dst.list(dir).then(
        (all) => new Map(all.map((f) => [f.path, f])),
        (e) => {
          if (isVfsError(e, "NOT_FOUND")) return new Map<string, FileInfo>();
          throw e;
        },
      );
      listings.set(dir, listing);
      // A failed listing is not kept: the file's retry asks again.
      listing.catch(() => listings.delete(dir));
    }
    return (await listing).get(normalizePath(to));
  };
}

/** Copies one file; false when the overwrite policy left an existing file alone. */
async function copyOne(
  src: Vfs,
  { from, to }: Item,
  dst: Vfs,
  opts: CopyOptions,
  onBytes: (n: number) => void,
  state: ResumeState,
  lookup: (to: string) => Promise<FileInfo | undefined>,
): Promise<boolean> {
  // A retry asks the destination itself: the listing is from before the first attempt.
  const existing = state.attempted ? await statOrNone(dst, to) : await lookup(to);
  state.attempted = true;
  if (existing) {
    if (existing.isDir) {
      throw new VfsError("IS_DIR", `Destination is a folder: "${to}"`, { path: to });
    }
    const policy = opts.overwrite ?? "never";
    if (policy === "never") return false;
    if (policy === "ifDiffSize" && existing.size === from.size) return false;
    if (policy === "ifNewer" && from.modTime.getTime() <= existing.modTime.getTime()) return false;
  }
  const resumable = src.features.rangedRead && dst.features.append;
  const retrying = state.tmp !== undefined;
  const tmp = state.tmp ??
    joinPath(dirname(to), `.${basename(to)}.aft-${crypto.randomUUID().slice(0, 8)}.tmp`);
  state.tmp = undefined;
  let counted = 0;
  /** The size the destination reported at close, when it does (saves a stat). */
  let stored: number | undefined;
  try {
    if (src === dst && src.copy) {
      await src.copy(from.path, tmp);
      counted = from.size;
      onBytes(counted);
    } else if (src.localPath && dst.localPath) {
      // Both ends on this machine's file system: let the kernel copy, as `cp` does.
      const [a, b] = [await src.localPath(from.path), await dst.localPath(tmp, true)];
      if (opts.signal?.aborted) throw opts.signal.reason;
      try {
        await Deno.copyFile(a, b);
      } catch (err) {
        throw new VfsError("IO", `Copy of "${from.path}" failed: ${(err as Error).message}`, {
          cause: err,
          path: from.path,
        });
      }
      counted = (await dst.stat(tmp)).size;
      onBytes(counted);
    } else {
      // A partial temporary file from a failed attempt: continue where it ends.
      // Only a retry can find a partial temporary file (a first attempt has a new name).
      const have = resumable && retrying
        ? (await dst.stat(tmp).catch(() => undefined))?.size ?? 0
        : 0;
      const offset = have > 0 && have < from.size ? have : 0;
      if (offset > 0) {
        counted = offset;
        onBytes(offset);
      }
      const reader = await src.openRead(from.path, offset > 0 ? { offset } : {});
      const writer = await dst.openWrite(tmp, {
        append: offset > 0 || undefined,
        onStored: (n) => stored = n,
      });
      const counter = new TransformStream<Uint8Array, Uint8Array>({
        transform(chunk, c) {
          counted += chunk.length;
          onBytes(chunk.length);
          c.enqueue(chunk);
        },
      });
      await reader.pipeThrough(counter).pipeTo(writer, { signal: opts.signal });
    }
    const written = stored ?? (await dst.stat(tmp)).size;
    if (written !== counted || counted !== from.size) {
      throw new VfsError(
        "VERIFY_FAILED",
        `Size check failed for "${from.path}": source ${from.size} bytes, read ${counted}, written ${written}`,
        { path: to },
      );
    }
    if (opts.verify) await verifyHash(src, from.path, dst, tmp);
    await dst.rename(tmp, to);
    if (opts.preserveTime && dst.setTimes) await dst.setTimes(to, from.modTime, from.modTime);
    return true;
  } catch (err) {
    onBytes(-counted);
    if (resumable && isVfsError(err) && err.retryable && !opts.signal?.aborted) {
      state.tmp = tmp; // the next attempt continues it (or removes it, if it is the last)
      throw err;
    }
    await discard(dst, tmp);
    if (opts.signal?.aborted) {
      throw new VfsError("CANCELLED", "Transfer cancelled", { cause: err, path: from.path });
    }
    throw err;
  }
}

async function verifyHash(src: Vfs, a: string, dst: Vfs, b: string): Promise<void> {
  const algo = (["sha256", "sha1", "md5"] as HashAlgorithm[]).find((h) =>
    src.features.hashes.includes(h) && dst.features.hashes.includes(h)
  );
  if (!algo || !src.hash || !dst.hash) return; // size was checked; no common hash to compare
  const [x, y] = await Promise.all([src.hash(a, algo), dst.hash(b, algo)]);
  if (x !== y) {
    throw new VfsError("VERIFY_FAILED", `${algo} mismatch after copying "${a}"`, { path: a });
  }
}

async function withRetries<T>(opts: CopyOptions, fn: () => Promise<T>): Promise<T> {
  const retries = opts.retries ?? 3;
  for (let attempt = 0;; attempt++) {
    try {
      return await fn();
    } catch (err) {
      if (attempt >= retries || !isVfsError(err) || !err.retryable || opts.signal?.aborted) {
        throw err;
      }
      await new Promise((r) => setTimeout(r, Math.min(200 * 2 ** attempt, 5000)));
    }
  }
}

/** After a move, removes the folders under `dir` that the move emptied (deepest first). */
async function removeEmptied(src: Vfs, dir: string): Promise<void> {
  const dirs: string[] = [];
  for await (const e of walk(src, dir)) if (e.isDir) dirs.push(e.path);
  for (const d of dirs.reverse()) {
    await src.remove(d).catch(() => {}); // still holds files: keep it
  }
}
