/**
 * A copy killed with `kill -9` mid-file, under the real `aft run`: the next run leaves nothing
 * behind but the complete file, disk to disk (kernel copy: the leftover is removed) and disk to
 * SFTP (the leftover is continued where it ended).
 */

import assert from "node:assert/strict";
import { join } from "node:path";
import { runAft, spawnAft, tempDataDir } from "./_cli.ts";
import { startSshd } from "../fixtures/sshd.ts";

const MiB = 1024 * 1024;
const SIZE = 1024 * MiB;
const LEFTOVER = /^\.big\.bin\.(.+\.)?aft-[0-9a-z]{8}\.tmp$/; // also the older names

/** A file of `size` bytes in which every MiB differs (a misplaced resume shows). */
async function bigFile(path: string, size: number): Promise<void> {
  const block = new Uint8Array(MiB);
  crypto.getRandomValues(block.subarray(0, 65536));
  for (let i = 65536; i < MiB; i += 65536) block.copyWithin(i, 0, 65536);
  using f = await Deno.open(path, { write: true, create: true, truncate: true });
  for (let at = 0; at < size; at += MiB) {
    new DataView(block.buffer).setFloat64(0, at);
    await f.write(block.subarray(0, Math.min(MiB, size - at)));
  }
}

/** `pid` and every process below it (from /proc). */
function tree(pid: number): number[] {
  const parent = new Map<number, number>();
  for (const e of Deno.readDirSync("/proc")) {
    if (!/^\d+$/.test(e.name)) continue;
    try {
      const stat = Deno.readTextFileSync(`/proc/${e.name}/stat`);
      parent.set(Number(e.name), Number(stat.slice(stat.lastIndexOf(")") + 2).split(" ")[1]));
    } catch { /* gone meanwhile */ }
  }
  const out = [pid];
  for (let i = 0; i < out.length; i++) {
    for (const [p, pp] of parent) if (pp === out[i]) out.push(p);
  }
  return out;
}

function running(pid: number): boolean {
  try {
    const stat = Deno.readTextFileSync(`/proc/${pid}/stat`);
    return !/^[ZX]/.test(stat.slice(stat.lastIndexOf(")") + 2));
  } catch {
    return false;
  }
}

/** Waits (up to a minute) until `dir` holds a leftover with at least 1 MiB in it. */
async function leftoverAppears(dir: string): Promise<void> {
  for (const end = Date.now() + 60_000; Date.now() < end;) {
    for (const e of Deno.readDirSync(dir)) {
      if (LEFTOVER.test(e.name) && Deno.statSync(join(dir, e.name)).size >= MiB) return;
    }
    await new Promise((r) => setTimeout(r, 5));
  }
  throw new Error(`No temporary file appeared in ${dir}`);
}

async function same(a: string, b: string): Promise<boolean> {
  return (await new Deno.Command("cmp", { args: ["-s", a, b] }).output()).success;
}

Deno.test({
  name:
    "aft run killed with -9 mid-copy: the next run leaves only the complete file (disk and SFTP)",
  // Whether the killed process is gone is read from /proc; sshd is installed on Linux only.
  ignore: Deno.build.os !== "linux",
}, async (t) => {
  const server = await startSshd();
  const data = await tempDataDir();
  const work = await Deno.makeTempDir({ prefix: "aft-crash-" });
  const ok = async (args: string[]) => {
    const r = await runAft(args, { data });
    assert.equal(r.code, 0, `aft ${args.join(" ")}: ${r.stderr}${r.stdout}`);
    return r;
  };
  try {
    const src = join(work, "src");
    const out = join(work, "out");
    const inbox = join(server.dir, "inbox");
    for (const d of [src, out, inbox]) await Deno.mkdir(d);
    await bigFile(join(src, "big.bin"), SIZE);
    await ok(["settings", "set", "allowCliRun", "true"]);
    await ok(["vfs", "add", "local", "--type", "disk", "--target", src]);
    await ok(["vfs", "add", "out", "--type", "disk", "--target", out]);
    await ok([
      ...["vfs", "add", "remote", "--type", "sftp"],
      ...["--target", `sftp://${server.user}@127.0.0.1:${server.port}${inbox}`],
      ...["--opt", `keyFile=${server.keys.openssh}`],
      ...["--opt", `hostKeySHA256=${server.hostKeySHA256}`],
    ]);
    const script = join(work, "copy.syncjs");
    await Deno.writeTextFile(
      script,
      `var r = VirtualFSByName("local").CopyToVFS("/big.bin", VirtualFSByName(Params("to")), "/");
if (!r.Ok()) { Log.Error(r.ErrorMsg()); Exit(1); }
Log.Info("copied " + r.Files() + " files");`,
    );

    for (const [to, dir] of [["out", out], ["remote", inbox]] as const) {
      await t.step(`to ${to}`, async () => {
        const run = spawnAft(["run", "-f", script, "-p", JSON.stringify({ to })], { data });
        let output = "";
        const drained = Promise.all(
          [run.stdout, run.stderr].map((s) =>
            s.pipeThrough(new TextDecoderStream()).pipeTo(
              new WritableStream({ write: (c) => void (output += c) }),
            )
          ),
        );
        await leftoverAppears(dir).catch((e) => {
          throw new Error(`${e.message}; aft run said:\n${output}`);
        });
        const pids = tree(run.pid);
        for (const pid of pids) Deno.kill(pid, "SIGKILL");
        await run.status;
        await drained;
        while (pids.some(running)) await new Promise((r) => setTimeout(r, 10));

        const left = [...Deno.readDirSync(dir)].map((e) => e.name);
        assert.equal(left.length, 1, `one leftover, not a finished copy: ${left}`);
        assert.match(left[0]!, LEFTOVER);
        const leftover = Deno.statSync(join(dir, left[0]!));
        assert.ok(leftover.size < SIZE, "killed mid-copy");

        const again = await ok(["run", "-f", script, "-p", JSON.stringify({ to })]);
        assert.match(again.stdout, /copied 1 files/);
        assert.deepEqual([...Deno.readDirSync(dir)].map((e) => e.name), ["big.bin"]);
        assert.ok(await same(join(src, "big.bin"), join(dir, "big.bin")), "complete and intact");
        if (to === "remote") {
          // Continued: the leftover became the file (a new copy is a new file).
          assert.equal(Deno.statSync(join(dir, "big.bin")).ino, leftover.ino);
        }
      });
    }
  } finally {
    await server.stop();
    await Deno.remove(data, { recursive: true });
    await Deno.remove(work, { recursive: true });
  }
});
