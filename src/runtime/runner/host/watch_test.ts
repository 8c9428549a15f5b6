/**
 * The host side of FsWatcher and RemoteWatcher on real folders (a disk VFS for the remote
 * one), without a Worker: the events they queue for a script, in order.
 */

import assert from "node:assert/strict";
import { join } from "node:path";
import { EVT, type WatchEvent, type WatchSpec } from "../../protocol/calls.ts";
import type { VfsDefinition } from "../../../vfs/types.ts";
import { testContext } from "./_test_context.ts";
import { VfsHandles } from "./vfs.ts";
import { Watchers } from "./watch.ts";

interface Rig {
  dir: string;
  watchers: Watchers;
  /** Events queued since the last call, waiting until at least `n` came. */
  next(n: number): Promise<WatchEvent[]>;
  /** Events queued since the last call, after giving the watcher `ms` to report more. */
  settle(ms: number): Promise<WatchEvent[]>;
  close(): Promise<void>;
}

async function rig(): Promise<Rig> {
  const dir = await Deno.makeTempDir({ prefix: "aft-watch-unit-" });
  const state = new Map<string, string>();
  const ctx = testContext();
  const ends: (() => Promise<void>)[] = [];
  ctx.onEnd = (fn) => void ends.push(fn);
  let woke: () => void = () => {};
  ctx.wake = () => woke();
  ctx.request = (req) => {
    if (req.op === "vfs") {
      const def: VfsDefinition = { name: req.name, type: "disk", target: dir, options: {} };
      return Promise.resolve(def);
    }
    if (req.op === "watchState") {
      if (req.state === undefined) return Promise.resolve(state.get(req.key) ?? null);
      state.set(req.key, req.state);
      return Promise.resolve(null);
    }
    return Promise.resolve(null);
  };
  const watchers = new Watchers(ctx, new VfsHandles(ctx));
  const events: WatchEvent[] = [];
  const take = () => {
    for (const { event } of watchers.take()) events.push(event);
  };
  return {
    dir,
    watchers,
    async next(n) {
      const deadline = Date.now() + 20_000;
      take();
      while (events.length < n && Date.now() < deadline) {
        await new Promise<void>((r) => {
          woke = r;
          setTimeout(r, 250);
        });
        take();
      }
      return events.splice(0);
    },
    async settle(ms) {
      await new Promise((r) => setTimeout(r, ms));
      take();
      return events.splice(0);
    },
    async close() {
      for (const fn of ends) await fn();
      await Deno.remove(dir, { recursive: true });
    },
  };
}

/** Writes `pieces` pieces of 64 KiB to `path`, `gapMs` apart. */
async function writeSlowly(path: string, pieces: number, gapMs: number): Promise<void> {
  const f = await Deno.open(path, { write: true, create: true });
  try {
    for (let i = 0; i < pieces; i++) {
      await f.write(new Uint8Array(64 * 1024).fill(i));
      await new Promise((r) => setTimeout(r, gapMs));
    }
  } finally {
    f.close();
  }
}

const kinds = (events: WatchEvent[]) => events.map((e) => `${e.Event} ${e.Object}`);

function spec(kind: "fs" | "remote", path: string, extra: Partial<WatchSpec> = {}): WatchSpec {
  return {
    kind,
    vfs: kind === "remote" ? "remote" : undefined,
    dirs: [{ path, recursive: false }],
    delaySeconds: 1,
    pollSeconds: 1,
    include: [],
    exclude: [],
    ...extra,
  };
}

Deno.test("FsWatcher reports a new file written slowly as EVT_CREATE then EVT_WRITE once, a change as EVT_WRITE, a removal as EVT_REMOVE", async () => {
  const r = await rig();
  try {
    await Deno.writeTextFile(join(r.dir, "old.txt"), "there before");
    const started = await r.watchers.start(spec("fs", r.dir));
    assert.equal(started.ok, true, started.error);
    const slow = join(r.dir, "slow.bin");
    // Eight pieces, 400 ms apart: never quiet for DelayBySeconds (1 s) until complete.
    await writeSlowly(slow, 8, 400);
    assert.deepEqual(kinds(await r.next(2)), [`${EVT.CREATE} ${slow}`, `${EVT.WRITE} ${slow}`]);
    assert.equal((await Deno.stat(slow)).size, 8 * 64 * 1024);
    await Deno.writeTextFile(slow, "changed");
    assert.deepEqual(kinds(await r.next(1)), [`${EVT.WRITE} ${slow}`]);
    await Deno.remove(slow);
    assert.deepEqual(kinds(await r.next(1)), [`${EVT.REMOVE} ${slow}`]);
    assert.deepEqual(kinds(await r.settle(1500)), [], "nothing more, and nothing of old.txt");
  } finally {
    await r.close();
  }
});

Deno.test("RemoteWatcher reports a new file written slowly as EVT_CREATE then EVT_WRITE once, a change as EVT_WRITE", async () => {
  const r = await rig();
  try {
    const started = await r.watchers.start(spec("remote", "/"));
    assert.equal(started.ok, true, started.error);
    // Six pieces, 500 ms apart, polled every second: seen changing until complete.
    await writeSlowly(join(r.dir, "slow.bin"), 6, 500);
    assert.deepEqual(kinds(await r.next(2)), [`${EVT.CREATE} /slow.bin`, `${EVT.WRITE} /slow.bin`]);
    // A different size, so the change shows even within the same second.
    await Deno.writeTextFile(join(r.dir, "slow.bin"), "changed");
    assert.deepEqual(kinds(await r.next(1)), [`${EVT.WRITE} /slow.bin`]);
    await Deno.remove(join(r.dir, "slow.bin"));
    assert.deepEqual(kinds(await r.next(1)), [`${EVT.REMOVE} /slow.bin`]);
    assert.deepEqual(kinds(await r.settle(2500)), []);
  } finally {
    await r.close();
  }
});

Deno.test("a watcher whose folder is missing fails Start() as an ordinary failure, a malformed one throws", async () => {
  const r = await rig();
  try {
    const bad = await r.watchers.start(spec("fs", join(r.dir, "nope")));
    assert.equal(bad.ok, false);
    assert.match(bad.error ?? "", /not an existing folder/);
    await assert.rejects(r.watchers.start({ kind: "fs", dirs: [] }), /WatchDir/);
    await assert.rejects(
      r.watchers.start(spec("fs", r.dir, { delaySeconds: -1 })),
      /DelayBySeconds must be a number of at least 0/,
    );
  } finally {
    await r.close();
  }
});
