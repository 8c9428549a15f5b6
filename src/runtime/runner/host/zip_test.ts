import assert from "node:assert/strict";
import { join } from "node:path";
import { testContext } from "./_test_context.ts";
import { ScriptCallError } from "./context.ts";
import { unsafeEntry, unzipCall, zipCall } from "./zip.ts";
import { runCommand } from "../../../../tests/fixtures/command.ts";
import { assertSameBytes } from "../../../../tests/fixtures/same_bytes.ts";
import { withTempDir } from "../../../../tests/fixtures/temp_dir.ts";
import { randomBytes } from "../../../../tests/vfs/_util.ts";

const HOSTILE = ["with space.txt", "ünïcødé ✓.txt", "#%&+ odd.csv", "empty.txt"];
const linux = Deno.build.os === "linux";

/** Runs a Debian tool; `text` is its stdout and stderr together. */
async function run(cmd: string, args: string[], cwd?: string) {
  const out = await runCommand(cmd, args, { cwd });
  return { code: out.code, text: new TextDecoder().decode(out.stdout) + out.stderr };
}

/** A tree with hostile names, an empty folder, a deep folder and a 20 MiB file. */
async function makeTree(root: string): Promise<void> {
  for (const n of HOSTILE) await Deno.writeTextFile(join(root, n), n === "empty.txt" ? "" : n);
  await Deno.mkdir(join(root, "empty dir"));
  const deep = join(root, "a", "b", "c", "d", "e");
  await Deno.mkdir(deep, { recursive: true });
  await Deno.writeTextFile(join(deep, "deep.txt"), "deep");
  await Deno.writeFile(join(root, "big.bin"), randomBytes(20 * 1024 * 1024));
  await Deno.utime(
    join(root, "with space.txt"),
    new Date("2020-05-06T07:08:10Z"),
    new Date("2020-05-06T07:08:10Z"),
  );
}

const withDirs = (fn: (dir: string) => Promise<void>) => withTempDir("aft-zip-", fn);

async function listAll(dir: string): Promise<string[]> {
  const out: string[] = [];
  for await (const e of Deno.readDir(dir)) {
    out.push(e.name);
    if (e.isDirectory) {
      for (const s of await listAll(join(dir, e.name))) out.push(`${e.name}/${s}`);
    }
  }
  return out.sort();
}

Deno.test({
  name: "Zip() writes an archive unzip -t accepts and unzip extracts byte for byte",
  ignore: !linux,
  async fn() {
    await withDirs(async (dir) => {
      const src = join(dir, "src");
      await Deno.mkdir(src);
      await makeTree(src);
      const r = await zipCall(testContext(), [src, join(dir, "out.zip")]);
      assert.equal(r.error, undefined);
      assert.equal(r.files, HOSTILE.length + 2);
      const t = await run("unzip", ["-t", join(dir, "out.zip")]);
      assert.equal(t.code, 0, t.text);
      assert.match(t.text, /No errors detected/);
      const x = await run("unzip", ["-q", join(dir, "out.zip"), "-d", join(dir, "x")]);
      assert.equal(x.code, 0, x.text);
      assert.deepEqual(await listAll(join(dir, "x")), await listAll(src));
      for (const n of [...HOSTILE, "big.bin", "a/b/c/d/e/deep.txt"]) {
        assertSameBytes(await Deno.readFile(join(dir, "x", n)), await Deno.readFile(join(src, n)));
      }
      const st = await Deno.stat(join(dir, "x", "with space.txt"));
      assert.equal(st.mtime?.toISOString().slice(0, 16), "2020-05-06T07:08");
      // No temporary file is left beside the archive.
      assert.deepEqual((await listAll(dir)).filter((n) => n.includes(".aft-")), []);
    });
  },
});

Deno.test({
  name: "Unzip() extracts an archive made by zip -r byte for byte with its times",
  ignore: !linux,
  async fn() {
    await withDirs(async (dir) => {
      const src = join(dir, "src");
      await Deno.mkdir(src);
      await makeTree(src);
      const z = await run("zip", ["-q", "-r", join(dir, "z.zip"), "."], src);
      assert.equal(z.code, 0, z.text);
      const r = await unzipCall(testContext(), [join(dir, "z.zip"), join(dir, "dest")]);
      assert.equal(r.error, undefined);
      assert.equal(r.files, HOSTILE.length + 2);
      assert.deepEqual(await listAll(join(dir, "dest")), await listAll(src));
      assert.deepEqual(
        await Deno.readFile(join(dir, "dest", "big.bin")),
        await Deno.readFile(join(src, "big.bin")),
      );
      const st = await Deno.stat(join(dir, "dest", "with space.txt"));
      assert.equal(st.mtime?.toISOString().slice(0, 16), "2020-05-06T07:08");
    });
  },
});

Deno.test("Zip() of a glob takes only the matching files", async () => {
  await withDirs(async (dir) => {
    await Deno.mkdir(join(dir, "out"));
    for (const n of ["a.csv", "b.csv", "c.txt"]) await Deno.writeTextFile(join(dir, "out", n), n);
    const r = await zipCall(testContext(), [join(dir, "out", "*.csv"), join(dir, "csv.zip")]);
    assert.equal(r.files, 2);
    const back = await unzipCall(testContext(), [join(dir, "csv.zip"), join(dir, "back")]);
    assert.equal(back.ok, true);
    assert.deepEqual(await listAll(join(dir, "back")), ["a.csv", "b.csv"]);
  });
});

/** Writes a zip with the given entries through Python's zipfile (names are not checked). */
async function craft(path: string, entries: { name: string; data: string; link?: boolean }[]) {
  const code = [
    "import sys, json, zipfile",
    "z = zipfile.ZipFile(sys.argv[1], 'w')",
    "for e in json.loads(sys.argv[2]):",
    "    i = zipfile.ZipInfo(e['name'])",
    "    if e.get('link'): i.external_attr = 0o120777 << 16",
    "    z.writestr(i, e['data'])",
    "z.close()",
  ].join("\n");
  const r = await run("python3", ["-c", code, path, JSON.stringify(entries)]);
  assert.equal(r.code, 0, r.text);
}

Deno.test({
  name: "Unzip() refuses an archive with an entry escaping the destination and writes nothing",
  ignore: !linux,
  async fn(t) {
    const cases = [
      { why: /climbs out/, entry: { name: "../evil.txt", data: "x" } },
      { why: /climbs out/, entry: { name: "ok/../../evil.txt", data: "x" } },
      { why: /absolute path/, entry: { name: "/tmp/aft-evil-abs.txt", data: "x" } },
      { why: /symbolic link/, entry: { name: "link", data: "/etc/passwd", link: true } },
    ];
    for (const c of cases) {
      await t.step(c.entry.name, async () => {
        await withDirs(async (dir) => {
          const zip = join(dir, "evil.zip");
          await craft(zip, [{ name: "fine.txt", data: "fine" }, c.entry]);
          const dest = join(dir, "dest", "inner");
          const r = await unzipCall(testContext(), [zip, dest]);
          assert.equal(r.ok, false);
          assert.match(r.error!, c.why);
          assert.match(r.error!, /nothing was extracted/);
          assert.deepEqual(await listAll(dir), ["evil.zip"]);
          await assert.rejects(() => Deno.stat("/tmp/aft-evil-abs.txt"));
        });
      });
    }
  },
});

Deno.test({
  name: "Unzip() refuses to write through a symbolic link already in the destination",
  ignore: Deno.build.os === "windows",
  async fn(t) {
    await withDirs(async (dir) => {
      const allowed = join(dir, "allowed");
      const outside = join(dir, "outside");
      const dest = join(allowed, "dest");
      await Deno.mkdir(dest, { recursive: true });
      await Deno.mkdir(outside);
      await Deno.writeTextFile(join(outside, "f.txt"), "theirs");
      await Deno.mkdir(join(allowed, "shared"));
      await Deno.symlink(outside, join(dest, "evil"));
      await Deno.symlink(join(outside, "f.txt"), join(dest, "f.txt"));
      await Deno.symlink(join(allowed, "shared"), join(dest, "shared"));
      const ctx = testContext({ limits: { localRoots: [allowed] } });
      const cases = [
        { name: "evil/x.txt", why: /"evil\/x\.txt" would be written through the symbolic link/ },
        { name: "evil/sub/", why: /"evil\/sub\/" would be written through the symbolic link/ },
        { name: "f.txt", why: /"f\.txt" would replace the symbolic link ".*dest\/f\.txt"/ },
      ];
      for (const c of cases) {
        await t.step(c.name, async () => {
          const zip = join(allowed, "evil.zip");
          await craft(zip, [{ name: "fine.txt", data: "fine" }, { name: c.name, data: "x" }]);
          const r = await unzipCall(ctx, [zip, dest]);
          assert.equal(r.ok, false);
          assert.match(r.error!, c.why);
          assert.match(r.error!, /nothing was extracted/);
          assert.deepEqual(await listAll(outside), ["f.txt"]);
          assert.equal(await Deno.readTextFile(join(outside, "f.txt")), "theirs");
          assert.deepEqual(await listAll(dest), ["evil", "f.txt", "shared"]);
        });
      }
      await t.step("a link to a folder inside localRoots is followed", async () => {
        const zip = join(allowed, "ok.zip");
        await craft(zip, [{ name: "shared/in.txt", data: "in" }]);
        const r = await unzipCall(ctx, [zip, dest]);
        assert.equal(r.error, undefined);
        assert.equal(await Deno.readTextFile(join(allowed, "shared", "in.txt")), "in");
      });
    });
  },
});

Deno.test({
  name: "Unzip() of a stored entry whose bytes were changed (same size) fails its CRC-32 check",
  ignore: !linux,
  fn: async () => {
    await withDirs(async (dir) => {
      const text = "0123456789abcdef".repeat(4096);
      await Deno.writeTextFile(join(dir, "plain.txt"), text);
      // Stored (-0): the bytes sit in the archive as they are, so changing one keeps every size.
      const made = await run("zip", ["-q", "-0", "s.zip", "plain.txt"], dir);
      assert.equal(made.code, 0, made.text);
      const bytes = await Deno.readFile(join(dir, "s.zip"));
      const at = bytes.indexOf("0".charCodeAt(0), 100);
      bytes[at] = "X".charCodeAt(0);
      await Deno.writeFile(join(dir, "s.zip"), bytes);
      await Deno.mkdir(join(dir, "dest"));
      const r = await unzipCall(testContext(), [join(dir, "s.zip"), join(dir, "dest")]);
      assert.equal(r.ok, false);
      assert.match(r.error!, /Cannot extract .*"plain\.txt" fails its CRC-32 check/);
      assert.deepEqual(await listAll(join(dir, "dest")), []);
    });
  },
});

Deno.test("Unzip() of a truncated archive fails and leaves the destination as it was", async () => {
  await withDirs(async (dir) => {
    await Deno.mkdir(join(dir, "src"));
    const data = crypto.getRandomValues(new Uint8Array(60000));
    await Deno.writeFile(join(dir, "src", "one.bin"), data);
    await Deno.writeFile(join(dir, "src", "two.bin"), data);
    assert.equal((await zipCall(testContext(), [join(dir, "src"), join(dir, "a.zip")])).ok, true);
    const bytes = await Deno.readFile(join(dir, "a.zip"));
    // Damage the second file's data but keep the central directory readable.
    const bad = bytes.slice();
    bad.fill(0, bytes.length - 30000, bytes.length - 25000);
    await Deno.writeFile(join(dir, "bad.zip"), bad);
    await Deno.mkdir(join(dir, "dest"));
    await Deno.writeTextFile(join(dir, "dest", "keep.txt"), "mine");
    const r = await unzipCall(testContext(), [join(dir, "bad.zip"), join(dir, "dest")]);
    assert.equal(r.ok, false);
    assert.match(r.error!, /Cannot extract/);
    assert.deepEqual(await listAll(join(dir, "dest")), ["keep.txt"]);
    await Deno.writeFile(join(dir, "cut.zip"), bytes.subarray(0, 1000));
    const cut = await unzipCall(testContext(), [join(dir, "cut.zip"), join(dir, "dest")]);
    assert.match(cut.error!, /Cannot read ".*cut\.zip" as a zip archive/);
    assert.deepEqual(await listAll(join(dir, "dest")), ["keep.txt"]);
  });
});

Deno.test("Zip() and Unzip() with a path outside localRoots throw into the script, source or target", async () => {
  await withDirs(async (dir) => {
    const ctx = testContext({ limits: { localRoots: [join(dir, "allowed")] } });
    await Deno.mkdir(join(dir, "allowed"));
    await assert.rejects(
      () => zipCall(ctx, [join(dir, "allowed"), join(dir, "x.zip")]),
      ScriptCallError,
    );
    await assert.rejects(
      () => unzipCall(ctx, [join(dir, "x.zip"), join(dir, "allowed")]),
      ScriptCallError,
    );
    // A source outside them throws too (it was a failed result, unlike every other helper).
    await Deno.writeTextFile(join(dir, "theirs.txt"), "x");
    await assert.rejects(
      () => zipCall(ctx, [join(dir, "theirs.txt"), join(dir, "allowed", "x.zip")]),
      ScriptCallError,
    );
    await assert.rejects(
      () => zipCall(ctx, [join(dir, "*.txt"), join(dir, "allowed", "x.zip")]),
      ScriptCallError,
    );
    assert.deepEqual([...Deno.readDirSync(join(dir, "allowed"))], []);
  });
});

Deno.test({
  name: "Zip() refuses a link to a file outside localRoots and archives nothing",
  ignore: Deno.build.os === "windows",
  async fn(t) {
    await withDirs(async (dir) => {
      const allowed = join(dir, "allowed");
      await Deno.mkdir(join(allowed, "src", "sub"), { recursive: true });
      await Deno.writeTextFile(join(dir, "secret.txt"), "SECRET");
      await Deno.writeTextFile(join(allowed, "src", "a.txt"), "a");
      await Deno.writeTextFile(join(allowed, "mine.txt"), "mine");
      await Deno.symlink(join(allowed, "mine.txt"), join(allowed, "src", "mine.txt"));
      await Deno.symlink(dir, join(allowed, "src", "outside-dir")); // not entered: kept
      const ctx = testContext({ limits: { localRoots: [allowed] } });
      await t.step("links inside localRoots are followed", async () => {
        const r = await zipCall(ctx, [join(allowed, "src"), join(allowed, "ok.zip")]);
        assert.equal(r.error, undefined);
        assert.equal(r.files, 2);
      });
      await Deno.symlink(join(dir, "secret.txt"), join(allowed, "src", "sub", "link.txt"));
      for (const source of ["src", "src/sub/*.txt"]) {
        await t.step(source, async () => {
          const r = await zipCall(ctx, [join(allowed, source), join(allowed, "x.zip")]);
          assert.equal(r.ok, false);
          assert.match(
            r.error!,
            /"[^"]*sub\/link\.txt" is a symbolic link to a place outside the allowed folders/,
          );
          await assert.rejects(() => Deno.stat(join(allowed, "x.zip")));
        });
      }
    });
  },
});

Deno.test("unsafeEntry() accepts ordinary names", () => {
  assert.equal(unsafeEntry("a/b/c.txt", 0o100644 << 16), undefined);
  assert.equal(unsafeEntry("dots..in..name.txt", 0), undefined);
  assert.match(unsafeEntry("C:/x", 0)!, /absolute/);
  assert.match(unsafeEntry("a\\..\\..\\x", 0)!, /climbs/);
});
