/**
 * The destination side of a copy: what already exists at each target path, and the temporary
 * files that crashed copies left behind in the destination folders.
 *
 * A folder that receives files is listed once per copy (unless this process listed it within
 * the last few minutes through the same VFS, when a stat per file is cheaper for a folder of
 * many entries). The listing answers "does the target exist?" for every file going there, and
 * shows aft's temporary files (see `temp_name.ts`). One whose writer is known to be gone (a
 * process of this host that no longer runs), or whose writer cannot be asked and that has not
 * changed for `STALE_AFTER_MS`, is a leftover (`isLeftover`): a leftover of the very copy about
 * to run (same fingerprint) is kept for it to resume, any other is removed. A temporary file of a
 * writer that still runs, or that may still run, is never touched.
 *
 * @module
 */

import { basename, dirname, normalizePath } from "./path.ts";
import { fingerprint, isLeftover, parseTempName } from "./temp_name.ts";
import { type FileInfo, isVfsError, type Vfs } from "./types.ts";

/**
 * Folders receiving at least this many files are always listed (instead of a stat per file),
 * even when recently swept. Listing costs about as much as a stat per 1,000 entries (an S3
 * page, an SFTP readdir batch), so it wins whenever the folder holds fewer than about
 * LIST_AT x 1,000 entries.
 */
export const LIST_AT = 32;

export { STALE_AFTER_MS } from "./temp_name.ts";

/** A folder listed (and swept) through a VFS this recently is not listed again for a lookup. */
const SWEEP_EVERY_MS = 10 * 60 * 1000;

const swept = new WeakMap<Vfs, Map<string, number>>();

/** One file the copy will write. */
export interface Target {
  to: string;
  from: FileInfo;
}

/** Existence lookups and leftover temporary files for the targets of one copy. */
export class Destination {
  #dst: Vfs;
  #perDir = new Map<string, number>();
  /** The planned copy to each target; its fingerprint is worked out on first need, once. */
  #planned = new Map<string, { from: FileInfo; fp?: string }>();
  #listings = new Map<string, Promise<Map<string, FileInfo>>>();
  /** Leftovers of the copy to each target, kept for it to resume. */
  #kept = new Map<string, FileInfo[]>();
  #resumable: boolean;

  /** `resumable`: the copy can continue a partial file (else leftovers are only removed). */
  constructor(dst: Vfs, targets: Target[], resumable: boolean) {
    this.#dst = dst;
    this.#resumable = resumable;
    for (const t of targets) {
      const dir = dirname(t.to);
      this.#perDir.set(dir, (this.#perDir.get(dir) ?? 0) + 1);
      this.#planned.set(t.to, { from: t.from });
    }
  }

  /**
   * The fingerprint of the copy to a target (see `temp_name.ts`). A planned target's is worked
   * out once, when first needed: a hash per file is a noticeable part of copying many small
   * files, and most folders hold no leftover to match it against.
   */
  fingerprint(t: Target): string {
    const planned = this.#planned.get(t.to);
    if (planned?.from !== t.from) return fingerprint(basename(t.to), t.from);
    return planned.fp ??= fingerprint(basename(t.to), t.from);
  }

  /** What is at `to` before copying (undefined when nothing). */
  async lookup(to: string): Promise<FileInfo | undefined> {
    const listing = this.#listing(dirname(to));
    if (!listing) return await statOrNone(this.#dst, to);
    return (await listing).get(normalizePath(to));
  }

  /**
   * Starts listing the folders of the first `n` targets (those the copy's first files go to)
   * without waiting, so that the listings travel while the caller creates the folders: one
   * round trip less before the first byte. A folder that does not exist yet lists as empty, as
   * it would once created (a new folder holds nothing). {@linkcode settle} waits for them.
   */
  prefetch(n: number): void {
    const dirs = new Set<string>();
    for (const to of this.#planned.keys()) {
      if (dirs.size >= n) break;
      dirs.add(dirname(to));
    }
    for (const dir of dirs) this.#listing(dir);
  }

  /** Waits until no listing is under way (after a failure, before the caller gives up). */
  async settle(): Promise<void> {
    await Promise.allSettled(this.#listings.values());
  }

  /**
   * The listing of `dir`, started on first need; undefined when a stat per file is cheaper (a
   * folder this process swept recently, receiving few files).
   */
  #listing(dir: string): Promise<Map<string, FileInfo>> | undefined {
    let listing = this.#listings.get(dir);
    if (listing) return listing;
    const last = swept.get(this.#dst)?.get(dir);
    const recent = last !== undefined && Date.now() - last < SWEEP_EVERY_MS;
    if (recent && (this.#perDir.get(dir) ?? 0) < LIST_AT) return undefined;
    listing = this.#list(dir);
    this.#listings.set(dir, listing);
    // A failed listing is not kept: the file's retry asks again.
    listing.catch(() => this.#listings.delete(dir));
    return listing;
  }

  /**
   * Renames a leftover of this very copy to `tmp` (the copy's own temporary name) and returns
   * its size, or returns 0 when there is none. Renaming first means two runs that find the
   * same leftover cannot both continue it: the second rename fails, and that run starts anew.
   */
  async claim(to: string, tmp: string): Promise<number> {
    const kept = (this.#kept.get(to) ?? []).sort((a, b) => b.size - a.size);
    this.#kept.delete(to);
    let size = 0;
    for (const f of kept) {
      if (size === 0) {
        try {
          await this.#dst.rename(f.path, tmp);
          size = f.size;
          continue;
        } catch { /* taken by another run meanwhile, or gone: try the next */ }
      }
      await this.#remove(f.path);
    }
    return size;
  }

  /** Removes the leftovers kept for targets that were not copied (skipped or failed). */
  async release(to?: string): Promise<void> {
    for (const key of to === undefined ? [...this.#kept.keys()] : [to]) {
      for (const f of this.#kept.get(key) ?? []) await this.#remove(f.path);
      this.#kept.delete(key);
    }
  }

  async #list(dir: string): Promise<Map<string, FileInfo>> {
    let all: FileInfo[] = [];
    try {
      all = await this.#dst.list(dir);
    } catch (e) {
      // Not made yet (a listing may go out while the copy makes the folder): nothing in it.
      if (!isVfsError(e, "NOT_FOUND")) throw e;
    }
    let times = swept.get(this.#dst);
    if (!times) swept.set(this.#dst, times = new Map());
    times.set(dir, Date.now());
    const out = new Map<string, FileInfo>();
    for (const f of all) {
      out.set(f.path, f);
      if (!f.isDir) await this.#sweep(dir, f);
    }
    return out;
  }

  /** Keeps a leftover of a planned copy for it to resume, removes any other leftover. */
  async #sweep(dir: string, f: FileInfo): Promise<void> {
    const t = parseTempName(f.name);
    if (!t || !isLeftover(t, f.modTime)) return;
    // Not joinPath: a name need not be one (`.....aft-x.tmp` has the target `..`).
    const to = dir === "/" ? `/${t.target}` : `${dir}/${t.target}`;
    const planned = this.#planned.get(to);
    if (
      this.#resumable && planned && f.size > 0 && f.size < planned.from.size &&
      t.fingerprint === this.fingerprint({ to, from: planned.from })
    ) {
      this.#kept.set(to, [...this.#kept.get(to) ?? [], f]);
    } else {
      await this.#remove(f.path);
    }
  }

  async #remove(path: string): Promise<void> {
    await this.#dst.remove(path).catch(() => {}); // gone already, or not ours to remove
  }
}

/** The stat of `path`, or undefined when nothing is there. */
export function statOrNone(vfs: Vfs, path: string): Promise<FileInfo | undefined> {
  return vfs.stat(path).catch((e) => {
    if (isVfsError(e, "NOT_FOUND")) return undefined;
    throw e;
  });
}
