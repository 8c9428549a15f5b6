/**
 * The copy engine, written once over the VFS contract: CopyToVFS, MoveToVFS and the v3
 * clients' Upload/Download all come here.
 *
 * The source keeps its name under the destination folder, a folder as a file does:
 * `/tree` copied into `/in` gives `/in/tree/...`; a glob copies what it matches, so `/tree/*`
 * gives the contents of `/tree` in `/in` (folders with their trees).
 *
 * Each file streams from source to destination with back-pressure (never buffered whole; a
 * file of at most 256 KiB goes in one buffer where both ends can, `readWhole`/`writeWhole`),
 * under a temporary name in the destination folder, and is renamed into place only once its
 * size (and, with `verify`, its hash) checks out. A failure, an abort or a source that breaks
 * mid-stream removes the temporary file, so the final name never shows a partial file. What a
 * crashed run leaves behind, a later copy into that folder recognises: it continues the
 * temporary file of the same copy, or removes it (see `copy_dest.ts`).
 *
 * A destination whose writes are whole or nothing (`features.atomicWrite`: the object stores,
 * where an upload appears only once complete) is written under the final name directly, told
 * the size to expect so that it stores nothing when another number of bytes arrived: the same
 * guarantees without a rename, which there would be a second, server-side copy of the file.
 *
 * @example
 * ```ts
 * const r = await copyToVfs(src, "/out/*.csv", dst, "/in", { overwrite: "ifNewer" });
 * if (!r.ok) console.error(r.errors);
 * ```
 * @module
 */

import { Slots } from "../slots.ts";
import { Destination, statOrNone } from "./copy_dest.ts";
import { EarlyWrites } from "./early_writes.ts";
import { hasGlob, matchGlob } from "./glob.ts";
import { basename, dirname, joinPath, normalizePath, relativeTo } from "./path.ts";
import { tempName } from "./temp_name.ts";
import { copyFileAbortable } from "./copy_file.ts";
import { type FileInfo, type HashAlgorithm, isVfsError, type Vfs, VfsError } from "./types.ts";
import { walk } from "./walk.ts";
import type { TransferProgress } from "./progress.ts";
import { pipeCounting } from "./pump.ts";

export { LIST_AT } from "./copy_dest.ts";

export type OverwritePolicy = "never" | "always" | "ifDiffSize" | "ifNewer";

export interface CopyOptions {
  /** What to do when the destination file exists (default `never`, as in AFT!). */
  overwrite?: OverwritePolicy;
  /** Compare a hash of both ends when both can give one (size is always checked). */
  verify?: boolean;
  /** Give the destination the source's modification time. */
  preserveTime?: boolean;
  /**
   * Files copied at once (default 4). Between VFSs whose calls share a connection or need none
   * ({@linkcode VfsFeatures.multiplexed}), files of up to {@linkcode WHOLE_MAX} go up to
   * {@linkcode SMALL_FILES_FACTOR} times as many at once, larger ones still this many; 1 is
   * always one file at a time.
   */
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

/** The copy engine always knows its totals. */
export type CopyProgress = Required<TransferProgress>;

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
/** Files up to this size are read and written whole where both VFSs can (`readWhole`). */
export const WHOLE_MAX = 256 * 1024;
/**
 * How many times `concurrency` small files (up to {@linkcode WHOLE_MAX}) may be in flight
 * between multiplexed VFSs. A small file costs a few round trips and at most its size in
 * memory, and over SFTP every socket write costs about the same however many requests it
 * carries (0.12 to 0.14 ms each on loopback here, in a CPU profile: about a fifth of the main
 * thread's busy time for 2,000 files of 4 KiB), so more files at once means fewer writes a file.
 * 2,000 files of 4 KiB to OpenSSH on 127.0.0.1 in one process (connect and `copyToVfs`, six
 * alternating rounds, 2026-12-04): a median 948 ms (916 to 1,104) at 32 at once, 1,129 ms
 * (1,082 to 1,353) at 8, the default of a script's `transferConcurrency`.
 */
export const SMALL_FILES_FACTOR = 4;

/**
 * Copies a file, a folder with its tree, or what a glob matches into folder `dstDir`, each
 * under its own name (`/tree` into `/in` gives `/in/tree/...`, `/tree/*` the contents).
 */
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

  let plan: Plan;
  let dest: Destination | undefined;
  let early: EarlyWrites | undefined;
  const limit = Math.max(1, Math.min(opts.concurrency ?? 4, 64));
  let workers = 1;
  try {
    plan = await makePlan(src, srcPath, normalizePath(dstDir));
    // `concurrency: 1` stays one file at a time, in order (a caller may rely on the order).
    const many = limit > 1 && src.features.multiplexed === true &&
      dst.features.multiplexed === true;
    workers = Math.min(
      many ? limit * SMALL_FILES_FACTOR : limit,
      openRoom(src, dst),
      64,
      plan.items.length || 1,
    );
    dest = new Destination(dst, plan.items, streams(src, dst) && resumable(src, dst));
    // What the first files' folders hold is asked while the folders are made, not after; so
    // are the first writes opened, where no answer could skip them (`early_writes.ts`).
    dest.prefetch(workers);
    const replace = inPlace(src, dst, opts) && opts.overwrite === "always";
    early = new EarlyWrites(dst, plan.items, workers, replace);
    await dst.mkdir(normalizePath(dstDir), { recursive: true });
    for (const d of plan.dirs) await dst.mkdir(d, { recursive: true });
  } catch (err) {
    await Promise.all([dest?.settle(), early?.abortRest(err)]);
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

  const queue = [...plan.items];
  // Files larger than WHOLE_MAX: at most `limit` at once, whatever the number of workers.
  const large = new Slots(limit);
  const worker = async () => {
    for (let item = queue.shift(); item; item = queue.shift()) {
      const it = item;
      await (it.from.size > WHOLE_MAX ? large.run(() => copyItem(it)) : copyItem(it));
    }
  };
  const copyItem = async (item: Item) => {
    if (opts.signal?.aborted) {
      fail(item.from.path, new VfsError("CANCELLED", "Transfer cancelled"));
      return;
    }
    current = item.from.path;
    const state: ResumeState = {};
    try {
      const same = sameFile(src, item.from.path, dst, item.to);
      if (same === true || (same !== false && await same)) {
        // Copied onto itself, its temporary copy would replace it, and a move then deleted
        // the only copy: refused.
        throw new VfsError(
          "INVALID_PATH",
          `"${item.from.path}" is itself at the destination ("${item.to}"): nothing to ${
            opts.move ? "move" : "copy"
          }`,
          { path: item.from.path },
        );
      }
      const copied = await withRetries(opts, () =>
        copyOne(
          src,
          item,
          dst,
          opts,
          (n) => {
            result.bytes += n;
            report();
          },
          state,
          dest,
          early,
        )).catch(async (err) => {
          // The last attempt failed: a temporary file kept for resuming goes now.
          if (state.tmp) await discard(dst, state.tmp);
          throw err;
        });
      if (copied) result.files++;
      else result.skipped++;
      // A move deletes only what arrived: a file the overwrite policy skipped stays, since
      // what the destination holds may differ from it (NeverOverwrite, same size).
      if (opts.move && copied) await src.remove(item.from.path);
    } catch (err) {
      fail(item.from.path, err);
      if (opts.stopOnError) queue.length = 0;
    }
    report();
  };
  try {
    await Promise.all(Array.from({ length: workers }, worker));
  } finally {
    await early.abortRest(new VfsError("CANCELLED", "Not copied")); // skipped or failed
  }
  await dest.release(); // leftovers kept for files that were then skipped or failed

  if (opts.move && result.ok) {
    for (const dir of plan.srcDirs) await removeEmptied(src, dir);
  }
  report(true);
  return result;
}

interface Plan {
  items: Item[];
  /** Destination folders to create (a copied folder's own, and each under it). */
  dirs: string[];
  /** Source folders copied whole (with their trees). */
  srcDirs: string[];
}

/**
 * What to copy where. A file or folder keeps its name under `dstDir`; a glob in the last
 * segment copies each match so (folders with their trees); the root, which has no name, gives
 * its contents.
 */
async function makePlan(src: Vfs, srcPath: string, dstDir: string): Promise<Plan> {
  const sp = normalizePath(srcPath);
  const plan: Plan = { items: [], dirs: [], srcDirs: [] };
  const last = basename(sp);
  // A name with glob characters that is itself there (`[br].txt`) is that file, not a mask:
  // as a mask it matched `b.txt` and copied (or moved) the wrong file.
  const exact = hasGlob(last) ? await statOrNone(src, sp) : undefined;
  const matches = hasGlob(last) && !exact
    ? (await src.list(dirname(sp))).filter((info) => matchGlob(last, info.name))
    : [exact ?? await src.stat(sp)];
  for (const info of matches) {
    const to = joinPath(dstDir, info.name);
    if (!info.isDir) {
      plan.items.push({ from: info, to });
      continue;
    }
    if (info.path !== "/") plan.dirs.push(to);
    plan.srcDirs.push(info.path);
    for await (const e of walk(src, info.path)) {
      const below = joinPath(to, relativeTo(info.path, e.path) ?? e.name);
      if (e.isDir) plan.dirs.push(below);
      else plan.items.push({ from: e, to: below });
    }
  }
  return plan;
}

/**
 * How many files may be copied at once under the servers' limits on open files
 * (`Vfs.openLimit`): a file holds one open on each side, two where both sides are the same VFS,
 * and one is left for a folder listing. A server past its limit refuses the open (OpenSSH's
 * sftp-server with "Failure", having no file descriptor left), which would fail files that
 * are fine.
 */
function openRoom(src: Vfs, dst: Vfs): number {
  const a = src.openLimit?.() ?? Infinity;
  const b = dst.openLimit?.() ?? Infinity;
  const room = src === dst ? Math.floor((a - 1) / 2) : Math.min(a, b) - 1;
  return Math.max(1, room);
}

/** Whether files go through this process (not a server-side or kernel copy). */
function streams(src: Vfs, dst: Vfs): boolean {
  return !(src === dst && src.copy) && !(src.localPath && dst.localPath);
}

/** Whether a partial temporary file can be continued: ranged reads and appends. */
function resumable(src: Vfs, dst: Vfs): boolean {
  return src.features.rangedRead && dst.features.append;
}

/** What a copy of `path` that failed with `err` throws: CANCELLED when `signal` ended it. */
function cancelledOr(err: unknown, path: string, signal: AbortSignal | undefined): unknown {
  return signal?.aborted
    ? new VfsError("CANCELLED", "Transfer cancelled", { cause: err, path })
    : err;
}

/**
 * Whether a file is written under its own name: the bytes stream through this process to a
 * destination whose writes are whole or nothing (`features.atomicWrite`), and no hash is to
 * be compared afterwards (that needs the file stored somewhere before it takes its name).
 */
function inPlace(src: Vfs, dst: Vfs, opts: CopyOptions): boolean {
  return dst.features.atomicWrite === true && streams(src, dst) &&
    !(opts.verify && commonHash(src, dst));
}

/**
 * Copies one file into place on a destination with whole-or-nothing writes. The destination
 * is told the size to expect and stores nothing when another number of bytes arrived; a
 * failure leaves what was there before, so there is nothing to clean up.
 */
async function copyInPlace(
  src: Vfs,
  from: FileInfo,
  to: string,
  dst: Vfs,
  opts: CopyOptions,
  onBytes: (n: number) => void,
  early: Promise<WritableStream<Uint8Array>> | undefined,
): Promise<boolean> {
  let counted = 0;
  let piped = false;
  try {
    const reader = await src.openRead(from.path);
    // The folder was made and the lookup found no folder at `to`: no need to ask again.
    const writer = await (early ?? dst.openWrite(to, { size: from.size, targetChecked: true }));
    const count = (n: number) => {
      counted += n;
      onBytes(n);
    };
    piped = true; // from here on a failure aborts the write
    await pipeCounting(reader, writer, opts.signal, count);
  } catch (err) {
    if (early && !piped) await early.then((w) => w.abort(err)).catch(() => {});
    onBytes(-counted);
    throw cancelledOr(err, from.path, opts.signal);
  }
  if (opts.preserveTime && dst.setTimes) await dst.setTimes(to, from.modTime, from.modTime);
  return true;
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

/** Copies one file; false when the overwrite policy left an existing file alone. */
async function copyOne(
  src: Vfs,
  { from, to }: Item,
  dst: Vfs,
  opts: CopyOptions,
  onBytes: (n: number) => void,
  state: ResumeState,
  dest: Destination,
  early: EarlyWrites,
): Promise<boolean> {
  // A retry asks the destination itself: the listing is from before the first attempt.
  const existing = state.attempted ? await statOrNone(dst, to) : await dest.lookup(to);
  state.attempted = true;
  if (existing) {
    if (existing.isDir) {
      throw new VfsError("IS_DIR", `Destination is a folder: "${to}"`, { path: to });
    }
    const policy = opts.overwrite ?? "never";
    const skip = policy === "never" ||
      (policy === "ifDiffSize" && existing.size === from.size) ||
      (policy === "ifNewer" && from.modTime.getTime() <= existing.modTime.getTime());
    if (skip) {
      await dest.release(to);
      return false;
    }
  }
  // A destination that stores a file whole or not at all (an object store) is written in
  // place: nothing partial can show, and renaming there would copy the whole file again.
  if (inPlace(src, dst, opts)) {
    return await copyInPlace(src, from, to, dst, opts, onBytes, early.take(to));
  }
  const canResume = resumable(src, dst);
  let retrying = state.tmp !== undefined;
  const tmp = state.tmp ??
    joinPath(dirname(to), tempName(basename(to), dest.fingerprint({ to, from })));
  state.tmp = undefined;
  // A crashed run's temporary file of this same copy: continue it (it is ours once renamed).
  if (!retrying && (await dest.claim(to, tmp)) > 0) retrying = true;
  let counted = 0;
  /** The size the destination reported at close, when it does (saves a stat). */
  let stored: number | undefined;
  try {
    if (src === dst && src.copy) {
      await src.copy(from.path, tmp, { signal: opts.signal });
      counted = from.size;
      onBytes(counted);
    } else if (src.localPath && dst.localPath) {
      // Both ends on this machine's file system: let the kernel copy, as `cp` does.
      const [a, b] = [await src.localPath(from.path), await dst.localPath(tmp, true)];
      try {
        // A halt ends it at once and removes the temporary file (copy_file.ts).
        await copyFileAbortable(a, b, opts.signal);
      } catch (err) {
        if (opts.signal?.aborted) throw err;
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
      const have = canResume && retrying
        ? (await dst.stat(tmp).catch(() => undefined))?.size ?? 0
        : 0;
      const offset = have > 0 && have < from.size ? have : 0;
      if (offset > 0) {
        counted = offset;
        onBytes(offset);
      }
      // A small file goes in one buffer where both ends can (no streams: their work per file
      // is most of what a small file costs); one that grew past the limit streams after all.
      const whole = offset === 0 && from.size <= WHOLE_MAX && src.readWhole && dst.writeWhole
        ? await src.readWhole(from.path, WHOLE_MAX)
        : undefined;
      if (whole) {
        opts.signal?.throwIfAborted();
        counted = whole.length;
        onBytes(counted);
        stored = await dst.writeWhole!(tmp, whole);
      } else {
        const reader = await src.openRead(from.path, offset > 0 ? { offset } : {});
        const writer = await dst.openWrite(tmp, {
          append: offset > 0 || undefined,
          onStored: (n) => stored = n,
        });
        await pipeCounting(reader, writer, opts.signal, (n) => {
          counted += n;
          onBytes(n);
        });
      }
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
    if (canResume && isVfsError(err) && err.retryable && !opts.signal?.aborted) {
      state.tmp = tmp; // the next attempt continues it (or removes it, if it is the last)
      throw err;
    }
    await discard(dst, tmp);
    throw cancelledOr(err, from.path, opts.signal);
  }
}

/** The strongest hash both ends can give, if any. */
function commonHash(src: Vfs, dst: Vfs): HashAlgorithm | undefined {
  return (["sha256", "sha1", "md5"] as HashAlgorithm[]).find((h) =>
    src.features.hashes.includes(h) && dst.features.hashes.includes(h)
  );
}

async function verifyHash(src: Vfs, a: string, dst: Vfs, b: string): Promise<void> {
  const algo = commonHash(src, dst);
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

/**
 * True when `from` on `src` and `to` on `dst` are one file (see `Vfs.fileIdentity`); a promise
 * only where the backends must be asked, so that a copy between unlike VFSs (most of them)
 * waits for nothing here.
 */
function sameFile(src: Vfs, from: string, dst: Vfs, to: string): boolean | Promise<boolean> {
  if (src === dst && normalizePath(from) === normalizePath(to)) return true;
  if (!src.fileIdentity || !dst.fileIdentity || src.type !== dst.type) return false;
  return Promise.all([src.fileIdentity(from), dst.fileIdentity(to)])
    .then(([a, b]) => a !== undefined && a === b);
}

/**
 * After a move, removes the folders the move emptied, deepest first: those under `dir`, and
 * `dir` itself, which was moved whole (unless it is the root).
 */
async function removeEmptied(src: Vfs, dir: string): Promise<void> {
  const dirs: string[] = dir === "/" ? [] : [dir];
  for await (const e of walk(src, dir)) if (e.isDir) dirs.push(e.path);
  for (const d of dirs.reverse()) {
    await src.remove(d).catch(() => {}); // still holds files: keep it
  }
}
