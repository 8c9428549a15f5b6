/**
 * A real full disk: the data directory on a small tmpfs (Linux, as root; skipped elsewhere),
 * filled up, and a job that logs more than fits.
 */

import assert from "node:assert/strict";
import { join } from "node:path";
import { runAft } from "./_cli.ts";

/** Mounts a tmpfs of `size` at a new folder, or returns undefined when that is not allowed. */
async function mountTmpfs(size: string): Promise<string | undefined> {
  if (Deno.build.os !== "linux" || Deno.uid() !== 0) return undefined;
  const dir = await Deno.makeTempDir({ prefix: "aft-full-" });
  const r = await new Deno.Command("mount", {
    args: ["-t", "tmpfs", "-o", `size=${size},mode=0700`, "tmpfs", dir],
    stdout: "null",
    stderr: "null",
  }).output();
  if (r.success) return dir;
  await Deno.remove(dir);
  return undefined;
}

async function unmount(dir: string): Promise<void> {
  await new Deno.Command("umount", { args: [dir], stdout: "null", stderr: "null" }).output();
  await Deno.remove(dir, { recursive: true });
}

/** Free bytes of the file system holding `dir`. */
async function freeBytes(dir: string): Promise<number> {
  const r = await new Deno.Command("df", { args: ["--output=avail", "-B1", dir] }).output();
  return Number(new TextDecoder().decode(r.stdout).trim().split("\n").at(-1));
}

const canMount = await (async () => {
  const dir = await mountTmpfs("1m");
  if (!dir) return false;
  await unmount(dir);
  return true;
})();

Deno.test({
  name:
    "a job whose log does not fit on a full disk ends failed, and the disk being full is said once",
  ignore: !canMount,
  async fn() {
    const mnt = (await mountTmpfs("4m"))!;
    try {
      const data = join(mnt, "data");
      const set = await runAft(["settings", "set", "allowCliRun", "true"], { data });
      assert.equal(set.code, 0, set.stderr);
      const script = join(mnt, "chatty.syncjs");
      await Deno.writeTextFile(
        script,
        'for (var i = 0; i < 40000; i++) Log.Info("line " + i + " " + "x".repeat(100));\n',
      );
      // Leave about 128 KiB: the job can start (its row, the row's index entries and SQLite's
      // -shm and -wal files fit), its log cannot be kept.
      const filler = await Deno.open(join(mnt, "filler"), { write: true, create: true });
      await filler.truncate(Math.max(0, (await freeBytes(mnt)) - 128 * 1024));
      // tmpfs allocates on write: write the filler for real.
      const size = (await filler.stat()).size;
      const chunk = new Uint8Array(64 * 1024).fill(1);
      for (let at = 0; at < size; at += chunk.length) {
        await filler.write(chunk.subarray(0, Math.min(chunk.length, size - at)));
      }
      filler.close();

      const r = await runAft(["run", "-f", script], { data });
      assert.equal(r.code, 1, r.stdout.slice(-2000) + r.stderr);
      assert.match(r.stdout + r.stderr, /could not be (stored|recorded) because the disk is full/);
      assert.equal((r.stderr.match(/disk full/g) ?? []).length, 1, r.stderr);
      assert.doesNotMatch(r.stderr, /cannot rollback/);

      // With room again, the history never says it succeeded.
      await Deno.remove(join(mnt, "filler"));
      const list = await runAft(["jobs", "list", "--json"], { data });
      assert.equal(list.code, 0, list.stderr);
      const [job] = JSON.parse(list.stdout);
      assert.notEqual(job.status, "succeeded");
    } finally {
      await unmount(mnt);
    }
  },
});
