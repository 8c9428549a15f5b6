/**
 * Watchers end to end: `FsWatcher` and `RemoteWatcher` jobs under `aft run`, stopped with
 * SIGINT as Ctrl-C would, with real files written (some slowly) while they run.
 */

import assert from "node:assert/strict";
import { join } from "node:path";
import { runAft, spawnRun, tempDataDir } from "./_cli.ts";

async function setup() {
  const data = await tempDataDir();
  const dir = await Deno.makeTempDir({ prefix: "aft-watch-" });
  const r = await runAft(["settings", "set", "allowCliRun", "true"], { data });
  assert.equal(r.code, 0, r.stderr);
  await Deno.mkdir(join(dir, "in"));
  await Deno.mkdir(join(dir, "out"));
  return {
    data,
    dir,
    async cleanup() {
      await Deno.remove(data, { recursive: true });
      await Deno.remove(dir, { recursive: true });
    },
  };
}

const count = (text: string, re: RegExp) => (text.match(new RegExp(re, "g")) ?? []).length;

Deno.test("FsWatcher delivers each new file as EVT_CREATE then EVT_WRITE once complete, including one written slowly, and ends with exit 0 on Ctrl-C", async () => {
  const { data, dir, cleanup } = await setup();
  const inDir = join(dir, "in");
  const script = join(dir, "watch.syncjs");
  await Deno.writeTextFile(
    script,
    `
var src = new VirtualFS(VfsTypeDisk, ${JSON.stringify(inDir)});
var dst = new VirtualFS(VfsTypeDisk, ${JSON.stringify(join(dir, "out"))});
var w = new FsWatcher();
w.WatchDir(${JSON.stringify(inDir)}, true);
w.DelayBySeconds = 2;
w.InclusionFilter = ["*.csv", "*.bin"];
w.ExclusionFilter = ["skip-*"];
Log.Info("no callback: " + w.Start());
w.Start(function (evt) {
  var rel = evt.Object.slice(${JSON.stringify(inDir)}.length).replace(/\\\\/g, "/");
  Log.Info("event " + evt.Event + " " + rel);
  // The vendor's published pattern: act on EVT_WRITE alone.
  if (evt.Event == EVT_WRITE) {
    var r = src.CopyToVFS(rel, dst, ExtractFilePath(rel) || "/", { overwrite: AlwaysOverwrite });
    Log.Info((r.Ok() ? "copied " : "failed ") + rel + " " + r.ErrorMsg());
  }
});
Log.Info("watching");
WaitForHaltSignal();
w.Stop();
Log.Info("stopped cleanly");
`,
  );
  const job = spawnRun(data, script);
  try {
    await job.until(/watching/);
    assert.match(job.out, /no callback: false/);
    await Deno.writeTextFile(join(inDir, "a.csv"), "id,n\n1,2\n");
    await Deno.writeTextFile(join(inDir, "ignored.txt"), "not matched");
    await Deno.writeTextFile(join(inDir, "skip-me.csv"), "excluded");
    await Deno.mkdir(join(inDir, "sub", "deeper"), { recursive: true });
    await Deno.writeTextFile(join(inDir, "sub", "deeper", "b.csv"), "x\n");
    // Written in eight pieces over about 3.5 s: never quiet for 2 s until it is complete.
    const slow = await Deno.open(join(inDir, "slow.bin"), { write: true, create: true });
    const piece = new Uint8Array(256 * 1024).map((_, i) => i % 251);
    for (let i = 0; i < 8; i++) {
      await slow.write(piece);
      await new Promise((r) => setTimeout(r, 450));
    }
    slow.close();
    await job.until(/copied \/slow\.bin/);
    await job.until(/copied \/sub\/deeper\/b\.csv/);
    await job.until(/copied \/a\.csv/);
    // A change to a known file is a write event, and no create event.
    await Deno.writeTextFile(join(inDir, "a.csv"), "id,n\n1,2\n3,4\n");
    await job.until(/event 2 \/a\.csv[^]*event 2 \/a\.csv/);
    await job.until(/copied \/a\.csv[^]*copied \/a\.csv/);
    assert.equal(count(job.out, /event 1 \/a\.csv/), 1, job.out);
    await Deno.remove(join(inDir, "a.csv"));
    await job.until(/event 4 \/a\.csv/);
    const code = await job.interrupt();
    assert.equal(code, 0, job.out);
    assert.match(job.out, /stopped cleanly/);
    assert.equal(count(job.out, /copied \/slow\.bin/), 1, job.out);
    assert.equal(count(job.out, /event 1 \/slow\.bin/), 1, job.out);
    assert.equal(count(job.out, /event 2 \/slow\.bin/), 1, job.out);
    assert.equal(count(job.out, /event \d \/slow\.bin/), 2, "a slow file is one create, one write");
    assert.match(job.out, /event 1 \/slow\.bin\n.*event 2 \/slow\.bin/, "created, then written");
    assert.doesNotMatch(job.out, /ignored\.txt|skip-me/);
    const copied = await Deno.readFile(join(dir, "out", "slow.bin"));
    assert.equal(copied.length, 8 * piece.length);
    assert.deepEqual(copied.subarray(0, piece.length), piece);
    assert.equal(
      await Deno.readTextFile(join(dir, "out", "sub", "deeper", "b.csv")),
      "x\n",
    );
    assert.equal(await Deno.readTextFile(join(dir, "out", "a.csv")), "id,n\n1,2\n3,4\n");
  } finally {
    await job.kill();
    await cleanup();
  }
});

Deno.test("FsWatcher.Stop() stops callbacks at once, and a missing folder fails Start() with a logged reason", async () => {
  const { data, dir, cleanup } = await setup();
  const inDir = join(dir, "in");
  const script = join(dir, "stop.syncjs");
  await Deno.writeTextFile(
    script,
    `
var n = 0;
var w = new FsWatcher();
w.WatchDir(${JSON.stringify(inDir)}, false);
w.DelayBySeconds = 0;
w.Start(function (evt) {
  n++;
  Log.Info("callback " + n + " " + ExtractFileName(evt.Object));
  w.Stop();
  Log.Info("stop returned");
});
var bad = new FsWatcher();
bad.WatchDir(${JSON.stringify(join(dir, "nope"))}, false);
Log.Info("bad start: " + bad.Start(function () {}));
Log.Info("ready");
WaitForHaltSignal();
Log.Info("callbacks: " + n);
`,
  );
  const job = spawnRun(data, script);
  try {
    await job.until(/ready/);
    assert.match(job.out, /bad start: false/);
    assert.match(job.out, /could not start: .*nope.*not an existing folder/);
    await Deno.writeTextFile(join(inDir, "1.txt"), "1");
    await Deno.writeTextFile(join(inDir, "2.txt"), "2");
    await job.until(/stop returned/);
    await Deno.writeTextFile(join(inDir, "3.txt"), "3");
    await new Promise((r) => setTimeout(r, 1500));
    assert.equal(await job.interrupt(), 0, job.out);
    assert.match(job.out, /callbacks: 1/);
    assert.equal(count(job.out, /callback \d/), 1, job.out);
  } finally {
    await job.kill();
    await cleanup();
  }
});

Deno.test("RemoteWatcher reports new files (EVT_CREATE, EVT_WRITE) and changed ones of a VFS and, after a restart, only what is new", async () => {
  const { data, dir, cleanup } = await setup();
  const remote = join(dir, "in");
  const r = await runAft(["vfs", "add", "remote", "--type", "disk", "--target", remote], { data });
  assert.equal(r.code, 0, r.stderr);
  await Deno.writeTextFile(join(remote, "old.txt"), "there before");
  const script = join(dir, "remote.syncjs");
  await Deno.writeTextFile(
    script,
    `
var src = VirtualFSByName("remote");
var dst = new VirtualFS(VfsTypeDisk, ${JSON.stringify(join(dir, "out"))});
var w = new RemoteWatcher("remote");
w.WatchDir("/", true);
w.PollIntervalSeconds = 1;
w.DelayBySeconds = 1;
w.Start(function (evt) {
  Log.Info("event " + evt.Event + " " + evt.Object);
  if (evt.Event == EVT_WRITE) {
    var c = src.CopyToVFS(evt.Object, dst, "/", { overwrite: AlwaysOverwrite });
    Log.Info("downloaded " + evt.Object + " " + c.Ok());
  }
});
Log.Info("watching");
WaitForHaltSignal();
w.Stop();
`,
  );
  let job = spawnRun(data, script);
  try {
    await job.until(/watching/);
    await Deno.writeTextFile(join(remote, "first.txt"), "1");
    await job.until(/downloaded \/first\.txt true/);
    assert.match(job.out, /event 1 \/first\.txt\n.*event 2 \/first\.txt\n/);
    assert.equal(await job.interrupt(), 0, job.out);
    assert.equal(count(job.out, /downloaded \/first\.txt/), 1, job.out);
    assert.doesNotMatch(job.out, /old\.txt/);

    // While no job runs, one file arrives and one changes.
    await Deno.writeTextFile(join(remote, "second.txt"), "2");
    await Deno.mkdir(join(remote, "deep"));
    await Deno.writeTextFile(join(remote, "deep", "third.txt"), "3");
    job = spawnRun(data, script);
    await job.until(/downloaded \/second\.txt true/);
    await job.until(/downloaded \/deep\/third\.txt true/);
    await Deno.remove(join(remote, "second.txt"));
    await job.until(/event 4 \/second\.txt/);
    assert.equal(await job.interrupt(), 0, job.out);
    assert.doesNotMatch(job.out, /first\.txt|old\.txt/, "reported again after a restart");
    assert.equal(await Deno.readTextFile(join(dir, "out", "third.txt")), "3");
  } finally {
    await job.kill();
    await cleanup();
  }
});
