/**
 * Folders in scripts under `aft run`: CopyToVFS and MoveToVFS of a folder keep its name under the
 * destination folder (`/tree` into `/in` gives `/in/tree/...`), `/tree/*` copies the contents;
 * the v3 clients' Upload and Download of a folder do the same.
 */

import assert from "node:assert/strict";
import { join } from "node:path";
import { runAft, tempDataDir } from "./_cli.ts";
import { startSshd } from "../fixtures/sshd.ts";

/** Every file under `dir`, as sorted relative paths. */
async function files(dir: string, under = ""): Promise<string[]> {
  const out: string[] = [];
  for await (const e of Deno.readDir(join(dir, under))) {
    const rel = under ? `${under}/${e.name}` : e.name;
    if (e.isDirectory) out.push(...await files(dir, rel));
    else out.push(rel);
  }
  return out.sort();
}

async function withTree(fn: (data: string, dir: string) => Promise<void>): Promise<void> {
  const data = await tempDataDir();
  const dir = await Deno.makeTempDir({ prefix: "aft-folder-" });
  try {
    await Deno.mkdir(join(dir, "src", "tree", "sub", ".hidden"), { recursive: true });
    await Deno.writeTextFile(join(dir, "src", "tree", "a.csv"), "a");
    await Deno.writeTextFile(join(dir, "src", "tree", "sub", "b.csv"), "b");
    await Deno.writeTextFile(join(dir, "src", "tree", "sub", ".hidden", ".env"), "c");
    assert.equal((await runAft(["settings", "set", "allowCliRun", "true"], { data })).code, 0);
    await fn(data, dir);
  } finally {
    await Deno.remove(data, { recursive: true });
    await Deno.remove(dir, { recursive: true });
  }
}

async function run(data: string, dir: string, source: string): Promise<string> {
  const script = join(dir, "s.syncjs");
  await Deno.writeTextFile(script, source);
  const r = await runAft(["run", "-f", script], { data });
  assert.equal(r.code, 0, r.stdout + r.stderr);
  return r.stdout;
}

const TREE = ["a.csv", "sub/.hidden/.env", "sub/b.csv"];

Deno.test("CopyToVFS and MoveToVFS of a folder keep its name under dstDir; folder/* copies the contents", async () => {
  await withTree(async (data, dir) => {
    const vfs = (sub: string) => `new VirtualFS(VfsTypeDisk, ${JSON.stringify(join(dir, sub))})`;
    for (const d of ["copy", "contents", "moved"]) await Deno.mkdir(join(dir, d));
    await run(
      data,
      dir,
      `var src = ${vfs("src")};
function check(r) { if (!r.Ok()) { Log.Error(r.ErrorMsg()); Exit(1); } Log.Info("files " + r.Files()); }
check(src.CopyToVFS("/tree", ${vfs("copy")}, "/in"));
check(src.CopyToVFS("/tree/*", ${vfs("contents")}, "/in"));
check(src.MoveToVFS("/tree", ${vfs("moved")}, "/in"));`,
    );
    assert.deepEqual(await files(join(dir, "copy", "in")), TREE.map((f) => `tree/${f}`));
    assert.deepEqual(await files(join(dir, "contents", "in")), TREE);
    assert.deepEqual(await files(join(dir, "moved", "in")), TREE.map((f) => `tree/${f}`));
    assert.deepEqual(await files(join(dir, "src")), []);
    await assert.rejects(Deno.stat(join(dir, "src", "tree")), Deno.errors.NotFound);
  });
});

Deno.test({
  name: "SftpClient Upload and Download of a folder keep its name under the target folder",
  ignore: Deno.build.os !== "linux", // sshd comes from .ci/run
}, async () => {
  const s = await startSshd();
  try {
    await withTree(async (data, dir) => {
      const remote = join(s.dir, "remote");
      const back = join(dir, "back");
      await Deno.mkdir(back);
      const q = JSON.stringify;
      await run(
        data,
        dir,
        `var c = new SftpClient();
c.Host = "127.0.0.1:${s.port}"; c.User = "${s.user}"; c.KeyFile = ${q(s.keys.openssh)};
c.HostKeySHA256 = "${s.hostKeySHA256}";
if (!c.Connect()) { Log.Error("connect: " + c.LastError); Exit(1); }
function check(ok, what) { if (!ok) { Log.Error(what + ": " + c.LastError); Exit(1); } }
check(c.Upload(${q(join(dir, "src", "tree"))}, ${q(remote + "/up")}), "upload");
check(c.Upload(${q(join(dir, "src", "tree") + "/*")}, ${q(remote + "/flat")}), "upload contents");
check(c.Download(${q(remote + "/up/tree")}, ${q(back)}), "download");
c.Close();`,
      );
      assert.deepEqual(await files(join(remote, "up")), TREE.map((f) => `tree/${f}`));
      assert.deepEqual(await files(join(remote, "flat")), TREE);
      assert.deepEqual(await files(back), TREE.map((f) => `tree/${f}`));
    });
  } finally {
    await s.stop();
  }
});
