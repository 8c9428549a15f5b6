/**
 * The quiet rule of `BaseWatch` on its own, with a `look` the test controls: what happens to a
 * change that arrives while the watcher is still reading the path.
 */

import assert from "node:assert/strict";
import { EVT, type WatchEvent, type WatchSpec } from "../../protocol/calls.ts";
import { BaseWatch, type Snap } from "./watch_base.ts";

const SPEC: WatchSpec = {
  kind: "fs",
  dirs: [],
  delaySeconds: 0,
  pollSeconds: 0,
  include: [],
  exclude: [],
};

/** A watcher over a table of files; its `look` can be held after reading, until released. */
class Scripted extends BaseWatch {
  files = new Map<string, Snap>();
  /** When set, `look` reads the table, then waits for this before answering. */
  hold?: { reading: () => void; release: Promise<void> };

  constructor(events: WatchEvent[]) {
    super(SPEC, (e) => events.push(e));
  }

  write(path: string, size: number): void {
    this.files.set(path, { size, mtime: size, mode: 0o644 });
    this.touch(path);
  }

  protected override async look(path: string): Promise<Snap | null | undefined> {
    const now = this.files.get(path) ?? null;
    if (this.hold) {
      this.hold.reading();
      await this.hold.release;
    }
    return now;
  }

  run = (): Promise<void> => this.tick();
  knownSize = (path: string): number | undefined => this.known.get(path)?.size;
  waiting = (): number => this.pending.size;
}

Deno.test("a change that arrives while the watcher reads the path is reported on the next tick, not lost", async () => {
  const events: WatchEvent[] = [];
  const w = new Scripted(events);
  w.write("/in/a.csv", 9);
  await w.run();
  assert.deepEqual(events.map((e) => e.Event), [EVT.CREATE, EVT.WRITE]);
  events.length = 0;

  w.write("/in/a.csv", 13);
  let release!: () => void;
  const reading = new Promise<void>((reading) => {
    w.hold = { reading, release: new Promise<void>((r) => release = r) };
  });
  const tick = w.run();
  await reading; // `look` has read size 13 and not answered yet
  w.write("/in/a.csv", 20); // a newer change, seen meanwhile
  release();
  await tick;
  w.hold = undefined;
  await w.run();

  assert.equal(w.knownSize("/in/a.csv"), 20, JSON.stringify(events));
  assert.equal(events.at(-1)?.Event, EVT.WRITE);
  assert.ok(events.every((e) => e.Event === EVT.WRITE), JSON.stringify(events));
  assert.equal(w.waiting(), 0);
  await w.stop();
});
