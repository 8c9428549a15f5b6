/**
 * Host side of `FsWatcher` and `RemoteWatcher`. A watcher turns raw changes (file system
 * notifications, or the difference between two listings of a VFS) into events the script's
 * callback receives while it waits in `WaitForHaltSignal()`.
 *
 * Both kinds decide what to report the same way: a path that changed is held until it has been
 * quiet for `DelayBySeconds`, then compared with what the watcher last knew of it. So a file
 * written slowly is reported once, when complete, and a temporary file that appears and goes
 * before it settles is not reported at all.
 *
 * @module
 */

import { basename, join, relative, sep } from "node:path";
import { matchGlob } from "../../vfs/glob.ts";
import { type HostContext, ScriptCallError } from "./context.ts";
import { checkLocalPath, LocalRootError } from "../../vfs/local_roots.ts";
import type { VfsHandles } from "./vfs.ts";

/**
 * Event kinds. The values are the bit flags of Go's fsnotify (`Create` = 1 ... `Chmod` = 16),
 * which SyncJS's `EVT_*` constants come from, so scripts that print or mask them see the
 * numbers they would see in AFT!.
 */
export const EVT = { CREATE: 1, WRITE: 2, REMOVE: 4, RENAME: 8, CHMOD: 16 } as const;

/** What a script's callback receives. */
export interface WatchEvent {
  TimeStamp: string;
  Event: number;
  Object: string;
}

/** A watcher as the prelude configures it. */
export interface WatchSpec {
  kind: "fs" | "remote";
  /** VFS Library name (RemoteWatcher). */
  vfs?: string;
  dirs: { path: string; recursive: boolean }[];
  delaySeconds: number;
  pollSeconds: number;
  include: string[];
  exclude: string[];
}

/** What is known of one file. */
interface Snap {
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

/** Temporary files of aft's own atomic writes: never reported. */
const OWN_TEMP = /^\..+\.aft-[0-9a-z]{8}\.tmp$/;

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
abstract class BaseWatch {
  protected known = new Map<string, Snap>();
  protected pending = new Map<string, Pending>();
  protected stopped = false;
  #timer?: ReturnType<typeof setTimeout>;

  constructor(protected spec: WatchSpec, protected emit: (e: WatchEvent) => void) {}

  /** True when a path passes the inclusion and exclusion masks. */
  protected wanted(path: string, dir: string): boolean {
    const name = basename(path);
    if (OWN_TEMP.test(name)) return false;
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
    if (kind !== 0) this.emit({ TimeStamp: new Date().toISOString(), Event: kind, Object: path });
  }

  stop(): Promise<void> {
    this.stopped = true;
    clearInterval(this.#timer);
    return Promise.resolve();
  }
}

/** Watches local folders with the operating system's notifications. */
class FsWatch extends BaseWatch {
  #watchers: Deno.FsWatcher[] = [];
  /** The watched folders, resolved. */
  #dirs: { path: string; recursive: boolean }[] = [];

  async start(ctx: HostContext): Promise<void> {
    const dirs: { path: string; recursive: boolean }[] = [];
    for (const d of this.spec.dirs) {
      const abs = await checkLocalPath(d.path, ctx.job.limits.localRoots).catch((err) => {
        if (err instanceof LocalRootError) throw new ScriptCallError(err.message);
        throw err;
      });
      const st = await Deno.stat(abs).catch(() => null);
      if (!st?.isDirectory) throw new Error(`Cannot watch "${d.path}": not an existing folder`);
      dirs.push({ path: abs, recursive: d.recursive });
    }
    this.#dirs = dirs;
    // What is there already is known, not news: only changes from now on are reported.
    for (const d of dirs) await this.#scan(d.path, d.path, d.recursive, false);
    for (const d of dirs) {
      const w = Deno.watchFs(d.path, { recursive: d.recursive });
      this.#watchers.push(w);
      void this.#pump(w, d);
    }
    this.startTicking();
  }

  async #pump(w: Deno.FsWatcher, dir: { path: string; recursive: boolean }): Promise<void> {
    try {
      for await (const ev of w) {
        if (this.stopped) break;
        if (ev.kind === "access") continue;
        // Masks are applied once the path is quiet (look()), when it is known to be a file.
        for (const p of ev.paths) if (p !== dir.path) this.touch(p, ev.kind === "rename");
      }
    } catch {
      // The watcher was closed.
    }
  }

  /** Records (or, for a folder that just appeared, queues) the files under `dir`. */
  async #scan(root: string, dir: string, recursive: boolean, queue: boolean): Promise<void> {
    let entries: Deno.DirEntry[] = [];
    try {
      entries = await Array.fromAsync(Deno.readDir(dir));
    } catch {
      return;
    }
    for (const e of entries) {
      const p = join(dir, e.name);
      if (e.isDirectory) {
        if (recursive) await this.#scan(root, p, true, queue);
      } else if (e.isFile && this.wanted(p, root)) {
        if (queue) this.touch(p);
        else {
          const snap = await this.#stat(p);
          if (snap) this.known.set(p, snap);
        }
      }
    }
  }

  async #stat(p: string): Promise<Snap | null | undefined> {
    try {
      const st = await Deno.stat(p);
      if (st.isDirectory) return undefined;
      return { size: st.size, mtime: st.mtime?.getTime() ?? 0, mode: st.mode ?? 0 };
    } catch {
      return null;
    }
  }

  protected async look(path: string): Promise<Snap | null | undefined> {
    const snap = await this.#stat(path);
    if (snap === undefined) {
      // A folder appeared (or was moved in): its files may predate the watch on it.
      const dir = this.#rootOf(path);
      if (dir?.recursive) await this.#scan(dir.path, path, true, true);
      return undefined;
    }
    if (snap === null) {
      // A removed folder takes what it held with it.
      const prefix = path + sep;
      for (const k of [...this.known.keys()]) {
        if (k.startsWith(prefix)) this.report(k, null, false);
      }
      if (!this.known.has(path)) return undefined;
    } else {
      const root = this.#rootOf(path);
      if (root && !this.wanted(path, root.path)) return undefined;
    }
    return snap;
  }

  #rootOf(path: string): { path: string; recursive: boolean } | undefined {
    return this.#dirs.find((d) => path.startsWith(d.path + sep));
  }

  override async stop(): Promise<void> {
    await super.stop();
    for (const w of this.#watchers) {
      try {
        w.close();
      } catch { /* already closed */ }
    }
  }
}

export { BaseWatch, FsWatch, type Snap };

/** The watchers of one job and the events they have queued for the script. */
export class Watchers {
  #ctx: HostContext;
  #handles: VfsHandles;
  #next = 1;
  #active = new Map<number, BaseWatch>();
  #queue: { id: number; event: WatchEvent }[] = [];

  constructor(ctx: HostContext, handles: VfsHandles) {
    this.#ctx = ctx;
    this.#handles = handles;
    ctx.onEnd(() => this.stopAll());
  }

  /**
   * Starts a watcher: `{ ok: true, id }`, or `{ ok: false, error }` when its folder or VFS
   * cannot be watched (an ordinary failure); a malformed configuration throws.
   */
  async start(raw: unknown): Promise<{ ok: boolean; id?: number; error?: string }> {
    const spec = checkSpec(raw);
    try {
      return { ok: true, id: await this.#start(spec) };
    } catch (err) {
      if (err instanceof ScriptCallError) throw err;
      return { ok: false, error: err instanceof Error ? err.message : String(err) };
    }
  }

  async #start(spec: WatchSpec): Promise<number> {
    const id = this.#next++;
    const emit = (event: WatchEvent) => {
      if (!this.#active.has(id)) return;
      this.#queue.push({ id, event });
      this.#ctx.wake();
    };
    let w: BaseWatch;
    if (spec.kind === "fs") {
      const fs = new FsWatch(spec, emit);
      try {
        await fs.start(this.#ctx);
      } catch (err) {
        await fs.stop();
        throw err;
      }
      w = fs;
    } else {
      const { RemoteWatch } = await import("./watch_remote.ts");
      const handle = await this.#handles.open({ name: spec.vfs });
      const remote = new RemoteWatch(spec, emit, this.#ctx, () => this.#handles.get(handle));
      try {
        await remote.start();
      } catch (err) {
        await remote.stop();
        throw err;
      }
      w = remote;
    }
    this.#active.set(id, w);
    return id;
  }

  /** Stops a watcher: once this returns, none of its events is handed out any more. */
  async stop(id: unknown): Promise<void> {
    const w = typeof id === "number" ? this.#active.get(id) : undefined;
    if (!w) return;
    this.#active.delete(id as number);
    this.#queue = this.#queue.filter((q) => q.id !== id);
    await w.stop();
  }

  /** Hands out the queued events. */
  take(): { id: number; event: WatchEvent }[] {
    const out = this.#queue;
    this.#queue = [];
    return out;
  }

  async stopAll(): Promise<void> {
    await Promise.all([...this.#active.keys()].map((id) => this.stop(id)));
  }
}

function checkSpec(raw: unknown): WatchSpec {
  const s = (raw ?? {}) as Partial<WatchSpec>;
  if (s.kind !== "fs" && s.kind !== "remote") throw new ScriptCallError("Unknown watcher kind");
  if (!Array.isArray(s.dirs) || s.dirs.length === 0) {
    throw new ScriptCallError("Call WatchDir(path, recursive) before Start()");
  }
  const strings = (v: unknown, what: string): string[] => {
    if (v === undefined || v === null) return [];
    if (!Array.isArray(v) || !v.every((x) => typeof x === "string")) {
      throw new ScriptCallError(`${what} must be an array of glob masks`);
    }
    return v;
  };
  const num = (v: unknown, what: string, dflt: number, min: number): number => {
    if (v === undefined || v === null) return dflt;
    const n = Number(v);
    if (!Number.isFinite(n) || n < min) {
      throw new ScriptCallError(`${what} must be a number of at least ${min}`);
    }
    return n;
  };
  return {
    kind: s.kind,
    vfs: s.vfs,
    dirs: s.dirs.map((d) => ({ path: String(d.path), recursive: d.recursive === true })),
    delaySeconds: num(s.delaySeconds, "DelayBySeconds", 1, 0),
    pollSeconds: num(s.pollSeconds, "PollIntervalSeconds", 30, 1),
    include: strings(s.include, "InclusionFilter"),
    exclude: strings(s.exclude, "ExclusionFilter"),
  };
}
