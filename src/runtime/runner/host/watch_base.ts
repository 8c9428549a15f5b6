/**
 * What `FsWatcher` and `RemoteWatcher` share on the host: the masks, the table of paths
 * waiting to be quiet, and how a change becomes an event.
 *
 * Both kinds decide what to report the same way: a path that changed is held until it has been
 * quiet for `DelayBySeconds`, then compared with what the watcher last knew of it. A new file
 * gives `EVT_CREATE` then `EVT_WRITE` (fsnotify's order), a changed one `EVT_WRITE`, so a file
 * written slowly is reported when complete, and a temporary file that appears and goes before
 * it settles is not reported at all.
 *
 * @module
 */

import { basename, relative } from "../../../path.ts";
import { matchGlob } from "../../../vfs/glob.ts";
import { isTempName } from "../../../vfs/temp_name.ts";
import { EVT, type WatchEvent, type WatchSpec } from "../../protocol/calls.ts";

/** What is known of one file. */
export interface Snap {
  size: number;
  mtime: number;
  mode: number;
}

/** A path that changed and is waiting to be quiet. */
interface Pending {
  /** When the last change was seen (ms). */
  last: number;
  renamed: boolean;
  /** What a quiet check saw, to confirm on the next tick that nothing moved. */
  seen?: Snap | null;
}

const TICK_MS = 250;

function sameSnap(a: Snap | null | undefined, b: Snap | null | undefined): boolean {
  if (!a || !b) return a === b;
  return a.size === b.size && a.mtime === b.mtime && a.mode === b.mode;
}

/** The change an event reports, from what was known and what is there now. */
function classify(before: Snap | undefined, now: Snap | null, renamed: boolean): number {
  if (now === null) return before ? (renamed ? EVT.RENAME : EVT.REMOVE) : 0;
  if (!before) return EVT.CREATE;
  if (before.size !== now.size || before.mtime !== now.mtime) return EVT.WRITE;
  return before.mode !== now.mode ? EVT.CHMOD : 0;
}

/** Common to both watchers: masks, the pending table and the quiet rule. */
export abstract class BaseWatch {
  protected known = new Map<string, Snap>();
  protected pending = new Map<string, Pending>();
  protected stopped = false;
  #timer?: ReturnType<typeof setTimeout>;

  constructor(protected spec: WatchSpec, protected emit: (e: WatchEvent) => void) {}

  /** True when a path passes the inclusion and exclusion masks. */
  protected wanted(path: string, dir: string): boolean {
    const name = basename(path);
    if (isTempName(name)) return false; // aft's own temporary files
    const rel = relative(dir, path).replaceAll("\\", "/");
    const hit = (mask: string) => matchGlob(mask, mask.includes("/") ? rel : name);
    if (this.spec.include.length > 0 && !this.spec.include.some(hit)) return false;
    return !this.spec.exclude.some(hit);
  }

  protected touch(path: string, renamed = false): void {
    const p = this.pending.get(path);
    this.pending.set(path, { last: Date.now(), renamed: renamed || (p?.renamed ?? false) });
  }

  protected startTicking(): void {
    this.#timer = setInterval(() => void this.tick(), TICK_MS);
  }

  /** Reads what is at `path` now (`null` when gone, `undefined` for a folder). */
  protected abstract look(path: string): Promise<Snap | null | undefined>;

  #ticking = false;
  protected async tick(): Promise<void> {
    if (this.#ticking || this.stopped) return;
    this.#ticking = true;
    try {
      const delay = this.spec.delaySeconds * 1000;
      for (const [path, p] of [...this.pending]) {
        if (Date.now() - p.last < delay) continue;
        const now = await this.look(path);
        if (this.stopped) return;
        // A change seen while `look` ran replaced the entry: what was just read may predate it,
        // so the new entry waits its own quiet time (deleting it here would lose that change).
        if (this.pending.get(path) !== p) continue;
        if (now === undefined) {
          this.pending.delete(path);
          continue;
        }
        // With a delay, a file must also look the same on two checks in a row: a writer that
        // keeps a file open without notifications (network shares) is not taken as finished.
        if (delay > 0 && (p.seen === undefined || !sameSnap(p.seen, now))) {
          p.seen = now;
          continue;
        }
        this.pending.delete(path);
        this.report(path, now, p.renamed);
      }
    } finally {
      this.#ticking = false;
    }
  }

  protected report(path: string, now: Snap | null, renamed: boolean): void {
    const kind = classify(this.known.get(path), now, renamed);
    if (now) this.known.set(path, now);
    else this.known.delete(path);
    if (kind === 0) return;
    const TimeStamp = new Date().toISOString();
    this.emit({ TimeStamp, Event: kind, Object: path });
    // As fsnotify reports a new file: created, then written. Both come once the file has
    // settled, so a script acting on EVT_WRITE alone (the vendor's published pattern) sees
    // every new and every changed file once, and complete.
    if (kind === EVT.CREATE) this.emit({ TimeStamp, Event: EVT.WRITE, Object: path });
  }

  stop(): Promise<void> {
    this.stopped = true;
    clearInterval(this.#timer);
    return Promise.resolve();
  }
}
