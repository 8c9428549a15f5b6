/**
 * `RemoteWatcher`: watches a VFS by listing it every `PollIntervalSeconds` and comparing each
 * listing with what it knew (size and modification time). A new or changed file is reported
 * once it has looked the same for `DelayBySeconds`; a vanished one at once. What it knows is
 * saved with the script (a `watchState` request), so a restarted job reports only news.
 *
 * @module
 */

import type { Vfs } from "../../../vfs/types.ts";
import { walk } from "../../../vfs/walk.ts";
import type { HostContext } from "./context.ts";
import type { WatchEvent, WatchSpec } from "../../protocol/calls.ts";
import { BaseWatch, type Snap } from "./watch_base.ts";

/** Polls one VFS. */
export class RemoteWatch extends BaseWatch {
  #ctx: HostContext;
  #vfs: () => Promise<Vfs>;
  #timer?: ReturnType<typeof setTimeout>;
  #polling?: Promise<void>;
  #failing = false;
  #key: string;

  constructor(
    spec: WatchSpec,
    emit: (e: WatchEvent) => void,
    ctx: HostContext,
    vfs: () => Promise<Vfs>,
  ) {
    super(spec, emit);
    this.#ctx = ctx;
    this.#vfs = vfs;
    this.#key = `remote:${spec.vfs}:${JSON.stringify(spec.dirs)}`;
  }

  /** Loads the saved state (or takes a first listing as known) and starts polling. */
  async start(): Promise<void> {
    const saved = await this.#ctx.request({ op: "watchState", key: this.#key }) as string | null;
    if (saved) {
      for (const [path, s] of Object.entries(JSON.parse(saved) as Record<string, number[]>)) {
        this.known.set(path, { size: s[0] ?? 0, mtime: s[1] ?? 0, mode: 0 });
      }
    } else {
      // First start: what is there already is the baseline, as for FsWatcher. A listing that
      // fails here fails Start(), so a wrong name or password is seen at once.
      for (const [path, snap] of await this.#list()) this.known.set(path, snap);
      await this.#save();
    }
    this.#schedule();
  }

  #schedule(): void {
    if (this.stopped) return;
    this.#timer = setTimeout(() => {
      this.#polling = this.#poll().finally(() => this.#schedule());
    }, this.spec.pollSeconds * 1000);
  }

  async #list(): Promise<Map<string, Snap>> {
    const vfs = await this.#vfs();
    const out = new Map<string, Snap>();
    for (const d of this.spec.dirs) {
      const entries = d.recursive ? walk(vfs, d.path) : await vfs.list(d.path);
      for await (const e of entries) {
        if (e.isDir || !this.wanted(e.path, d.path)) continue;
        out.set(e.path, { size: e.size, mtime: e.modTime.getTime(), mode: 0 });
      }
    }
    return out;
  }

  async #poll(): Promise<void> {
    let current: Map<string, Snap>;
    try {
      current = await this.#list();
    } catch (err) {
      // Keep what is known and try again at the next poll; say so once, not every poll.
      if (!this.#failing) {
        this.#ctx.log(
          "warn",
          `RemoteWatcher on "${this.spec.vfs}": ${
            err instanceof Error ? err.message : String(err)
          }`,
        );
      }
      this.#failing = true;
      return;
    }
    if (this.stopped) return;
    if (this.#failing) this.#ctx.log("info", `RemoteWatcher on "${this.spec.vfs}": listing again`);
    this.#failing = false;
    const now = Date.now();
    const delay = this.spec.delaySeconds * 1000;
    let changed = false;
    for (const [path, snap] of current) {
      const known = this.known.get(path);
      if (known && known.size === snap.size && known.mtime === snap.mtime) {
        this.pending.delete(path);
        continue;
      }
      const p = this.pending.get(path);
      if (
        delay > 0 && (!p || !p.seen || p.seen.size !== snap.size || p.seen.mtime !== snap.mtime)
      ) {
        // New or still changing: wait until it has looked the same for the delay.
        this.pending.set(path, { last: now, renamed: false, seen: snap });
        continue;
      }
      if (p && now - p.last < delay) continue;
      this.pending.delete(path);
      this.report(path, snap, false);
      changed = true;
    }
    for (const path of [...this.known.keys()]) {
      if (!current.has(path)) {
        this.report(path, null, false);
        changed = true;
      }
    }
    for (const path of [...this.pending.keys()]) if (!current.has(path)) this.pending.delete(path);
    if (changed) await this.#save();
  }

  async #save(): Promise<void> {
    const state: Record<string, number[]> = {};
    for (const [path, s] of this.known) state[path] = [s.size, s.mtime];
    await this.#ctx.request({ op: "watchState", key: this.#key, state: JSON.stringify(state) });
  }

  protected look(): Promise<undefined> {
    return Promise.resolve(undefined);
  }

  override async stop(): Promise<void> {
    await super.stop();
    clearTimeout(this.#timer);
    await this.#polling?.catch(() => {});
  }
}
