/**
 * `FsWatcher`, `RemoteWatcher` and the `EVT_*` constants. The host watches; the script's
 * callbacks run in the script's own thread while it waits in `WaitForHaltSignal()`, one event
 * at a time, so a callback never runs in the middle of other script code.
 *
 * @module
 */

import { EVENTS } from "../protocol/bridge.ts";
import { EVT, type WatchEvent } from "../protocol/calls.ts";
import type { Bridge } from "./host_bridge.ts";

type Callback = (evt: WatchEvent) => void;

/** Installs the watcher classes; `hooks` are run by WaitForHaltSignal on every wake-up. */
export function installWatchers(bridge: Bridge, ctrl: Int32Array, hooks: (() => void)[]): void {
  const running = new Map<number, Callback>();

  hooks.push(() => {
    if (running.size === 0 || Atomics.load(ctrl, EVENTS) === 0) return;
    // Cleared before taking, so an event queued while callbacks run wakes the next wait.
    Atomics.store(ctrl, EVENTS, 0);
    const batch = bridge.call("watch.take");
    for (const { id, event } of batch) {
      // A watcher stopped by an earlier callback of this batch gets nothing more.
      const cb = running.get(id);
      if (cb) cb(Object.freeze({ ...event }));
    }
  });

  for (const [name, value] of Object.entries(EVT)) bridge.define(`EVT_${name}`, value);

  class Watcher {
    DelayBySeconds = 1;
    InclusionFilter: string[] = [];
    ExclusionFilter: string[] = [];
    #dirs: { path: string; recursive: boolean }[] = [];
    #id = 0;
    #kind: "fs" | "remote";
    #vfs?: string;

    constructor(kind: "fs" | "remote", vfs?: string) {
      this.#kind = kind;
      this.#vfs = vfs;
    }

    /** Adds a folder to watch (`recursive`: its subfolders too). */
    WatchDir(path: unknown, recursive?: unknown): void {
      if (typeof path !== "string" || path === "") {
        throw new bridge.TypeError("WatchDir(path, recursive) takes a folder path");
      }
      this.#dirs.push({ path, recursive: recursive === true });
    }

    /** Starts watching; `callback(evt)` runs for each event. No callback: nothing happens. */
    Start(callback?: unknown): boolean {
      if (typeof callback !== "function") return false;
      if (this.#id !== 0) return true;
      const r = bridge.call("watch.start", {
        kind: this.#kind,
        vfs: this.#vfs,
        dirs: this.#dirs,
        delaySeconds: this.DelayBySeconds,
        // Checked by the host, as every value a script sets.
        pollSeconds: (this as { PollIntervalSeconds?: unknown }).PollIntervalSeconds as number,
        include: this.InclusionFilter,
        exclude: this.ExclusionFilter,
      });
      if (!r.ok) {
        const what = this.#kind === "fs" ? "FsWatcher" : `RemoteWatcher("${this.#vfs}")`;
        bridge.log("error", `${what} could not start: ${r.error ?? "unknown error"}`);
        return false;
      }
      this.#id = r.id!;
      running.set(this.#id, callback as Callback);
      return true;
    }

    /** Stops; once it returns, no callback of this watcher runs any more. */
    Stop(): void {
      if (this.#id === 0) return;
      running.delete(this.#id);
      bridge.call("watch.stop", this.#id);
      this.#id = 0;
    }
  }

  class FsWatcher extends Watcher {
    constructor() {
      super("fs");
    }
  }

  class RemoteWatcher extends Watcher {
    PollIntervalSeconds = 30;
    constructor(vfsName: unknown) {
      if (typeof vfsName !== "string" || vfsName === "") {
        throw new bridge.TypeError("RemoteWatcher(vfsName) takes the name of a VFS Library entry");
      }
      super("remote", vfsName);
    }
  }

  bridge.define("FsWatcher", FsWatcher);
  bridge.define("RemoteWatcher", RemoteWatcher);
}
