/**
 * Host side of `FsWatcher` and `RemoteWatcher`: the watchers of one job, and the events they
 * queued for the script's callbacks, which run while the script waits in
 * `WaitForHaltSignal()` or `Sleep()`.
 *
 * @module
 */

import type { WatchBatch, WatchEvent, WatchSpec, WatchStartResult } from "../../protocol/calls.ts";
import { type HostContext, ScriptCallError } from "./context.ts";
import type { VfsHandles } from "./vfs.ts";
import type { BaseWatch } from "./watch_base.ts";
import { FsWatch } from "./watch_fs.ts";

/** The watchers of one job and the events they have queued for the script. */
export class Watchers {
  #ctx: HostContext;
  #handles: VfsHandles;
  #next = 1;
  #active = new Map<number, BaseWatch>();
  #queue: WatchBatch = [];

  constructor(ctx: HostContext, handles: VfsHandles) {
    this.#ctx = ctx;
    this.#handles = handles;
    ctx.onEnd(() => this.stopAll());
  }

  /**
   * Starts a watcher: `{ ok: true, id }`, or `{ ok: false, error }` when its folder or VFS
   * cannot be watched (an ordinary failure); a malformed configuration throws.
   */
  async start(raw: unknown): Promise<WatchStartResult> {
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
  take(): WatchBatch {
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
