/**
 * `FsWatcher` on the host: watches local folders with the operating system's notifications
 * and reports each path once it has been quiet for `DelayBySeconds`.
 *
 * @module
 */

import { join, sep } from "../../../path.ts";
import { checkLocalPath, LocalRootError } from "../../../vfs/local_roots.ts";
import { type HostContext, ScriptCallError } from "./context.ts";
import { BaseWatch, type Snap } from "./watch_base.ts";

/** Watches local folders with the operating system's notifications. */
export class FsWatch extends BaseWatch {
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
