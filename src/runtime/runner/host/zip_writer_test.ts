import assert from "node:assert/strict";
import { join } from "node:path";
import { testContext } from "./_test_context.ts";
import { unzipCall, zipCall } from "./zip.ts";
import { liveDeflateWorkers } from "./zip_deflate.ts";
import type { ZipWriterOptions } from "./zip_writer.ts";
import { runCommand } from "../../../../tests/fixtures/command.ts";
import { assertSameBytes } from "../../../../tests/fixtures/same_bytes.ts";
import { randomBytes } from "../../../../tests/vfs/_util.ts";
import { withTempDir } from "../../../../tests/fixtures/temp_dir.ts";

const linux = Deno.build.os === "linux";
const BLOCK = 64 * 1024;
/** Small blocks and a low pool threshold: a few hundred KiB go through the Workers. */
const SMALL: ZipWriterOptions = { blockSize: BLOCK, poolFrom: 2 * BLOCK, workers: 2 };

/** Text-like bytes (they deflate) with a random byte now and then. */
function textLike(n: number): Uint8Array {
  const line = new TextEncoder().encode("2026-12-02;ACME;order;1234.50;SHIPPED\n");
  const out = new Uint8Array(n);
  for (let i = 0; i < n; i++) out[i] = line[i % line.length]!;
  for (let i = 0; i < n; i += 997) out[i] = (i * 31) & 0xff;
  return out;
}

const FILES: [string, Uint8Array][] = [
  ["zero.bin", new Uint8Array(0)],
  ["one.bin", new Uint8Array([42])],
  ["block.txt", textLike(BLOCK)],
  ["block-1.txt", textLike(BLOCK - 1)],
  ["block+1.txt", textLike(BLOCK + 1)],
  ["several blocks.txt", textLike(5 * BLOCK + 7)],
  ["pooled exactly.txt", textLike(4 * BLOCK)],
  ["random small.bin", randomBytes(1000)],
  ["random big.bin", randomBytes(3 * BLOCK + 5)],
  ["..dots..in..name.", textLike(10)],
  ['it\'s "quoted".txt', textLike(10)],
  ["ünïcødé ✓ name.txt", textLike(10)],
];

async function run(cmd: string, args: string[], cwd?: string) {
  const out = await runCommand(cmd, args, { cwd });
  return { code: out.code, text: new TextDecoder().decode(out.stdout) + out.stderr };
}

const withDir = (fn: (dir: string) => Promise<void>) => withTempDir("aft-zipw-", fn);

const MTIME = new Date("2021-03-04T05:06:08Z");

/** The source tree: FILES, an empty folder, a nested file with mode 0640, fixed times. */
async function makeTree(src: string): Promise<void> {
  await Deno.mkdir(join(src, "empty folder"), { recursive: true });
  await Deno.mkdir(join(src, "sub.d"));
  for (const [name, data] of FILES) await Deno.writeFile(join(src, name), data);
  await Deno.writeFile(join(src, "sub.d", "private.txt"), textLike(100));
  await Deno.chmod(join(src, "sub.d", "private.txt"), 0o640);
  for (const n of [...FILES.map(([n]) => n), "sub.d/private.txt"]) {
    await Deno.utime(join(src, n), MTIME, MTIME);
  }
}

/** Checks `zip` with unzip -t, unzip, Python's zipfile and our Unzip against `src`. */
async function checkAll(dir: string, zip: string, src: string): Promise<void> {
  const t = await run("unzip", ["-t", zip]);
  assert.equal(t.code, 0, t.text);
  assert.match(t.text, /No errors detected/);
  const names = [...FILES.map(([n]) => n), "sub.d/private.txt"];
  for (const tool of ["unzip", "aft"]) {
    const out = join(dir, `by-${tool}`);
    if (tool === "unzip") {
      const x = await run("unzip", ["-q", zip, "-d", out]);
      assert.equal(x.code, 0, x.text);
    } else {
      const r = await unzipCall(testContext(), [zip, out]);
      assert.equal(r.error, undefined);
      assert.equal(r.files, names.length);
    }
    for (const n of names) {
      assertSameBytes(await Deno.readFile(join(out, n)), await Deno.readFile(join(src, n)), n);
      const st = await Deno.stat(join(out, n));
      assert.equal(st.mtime?.getTime(), MTIME.getTime(), `${tool}: mtime of ${n}`);
    }
    assert.ok((await Deno.stat(join(out, "empty folder"))).isDirectory);
    if (tool === "unzip") {
      assert.equal((await Deno.stat(join(out, "sub.d", "private.txt"))).mode! & 0o777, 0o640);
    }
  }
  // Python's zipfile: every CRC-32 checks out, the bytes match, modes and the UTF-8 flag.
  const py = [
    "import sys, json, zipfile",
    "z = zipfile.ZipFile(sys.argv[1])",
    "assert z.testzip() is None",
    "out = {}",
    "for i in z.infolist():",
    "    out[i.filename] = [i.external_attr >> 16, i.flag_bits & 0x800, z.read(i).hex()]",
    "print(json.dumps(out))",
  ].join("\n");
  const p = await run("python3", ["-c", py, zip]);
  assert.equal(p.code, 0, p.text);
  const listed = JSON.parse(p.text) as Record<string, [number, number, string]>;
  for (const n of names) {
    const want = await Deno.readFile(join(src, n));
    const hex = Array.from(want, (b) => b.toString(16).padStart(2, "0")).join("");
    assert.ok(listed[n]?.[2] === hex, `Python reads ${n} back as it was`);
    assert.equal(listed[n]?.[1], /[\u0080-\u{10ffff}]/u.test(n) ? 0x800 : 0, `UTF-8 flag of ${n}`);
  }
  assert.equal(listed["sub.d/private.txt"]?.[0], 0o100640);
  assert.equal(listed["empty folder/"]?.[0]! & 0o170000, 0o040000);
}

for (
  const [what, opts] of [
    ["inline", { blockSize: BLOCK, poolFrom: 1 << 30 }],
    ["through the Worker pool", SMALL],
    ["through the Workers only", { ...SMALL, mainLane: false }],
    ["with Zip64 records everywhere", { ...SMALL, zip64From: 0 }],
    ["with Zip64 records from an offset on", { ...SMALL, zip64From: 200_000 }],
  ] as [string, ZipWriterOptions][]
) {
  Deno.test({
    name: `Zip() ${what} writes entries of 0, 1, block ± 1 and many blocks that unzip, ` +
      "Python and Unzip read back byte for byte",
    ignore: !linux,
    async fn() {
      await withDir(async (dir) => {
        const src = join(dir, "src");
        await makeTree(src);
        const zip = join(dir, "out.zip");
        const r = await zipCall(testContext(), [src, zip], opts);
        assert.equal(r.error, undefined);
        assert.equal(r.files, FILES.length + 1);
        assert.equal(r.bytesCopied, FILES.reduce((n, [, d]) => n + d.length, 100));
        await checkAll(dir, zip, src);
        if (opts.zip64From !== undefined) {
          const z = await run("unzip", ["-Z", "-v", zip]);
          assert.match(z.text, /PKWARE 64-bit sizes/);
        }
        assert.equal(liveDeflateWorkers(), 0);
      });
    },
  });
}

Deno.test({
  name: "Zip() stores an entry that deflate does not make smaller, and deflates the rest",
  ignore: !linux,
  async fn() {
    await withDir(async (dir) => {
      const src = join(dir, "src");
      await makeTree(src);
      const zip = join(dir, "out.zip");
      assert.equal((await zipCall(testContext(), [src, zip], SMALL)).error, undefined);
      const v = await run("unzip", ["-v", zip]);
      assert.equal(v.code, 0, v.text);
      const method = (n: string) =>
        new RegExp(`(Stored|Defl:\\w)\\s.*\\s${n}\\n`).exec(v.text)?.[1];
      assert.equal(method("random big\\.bin"), "Stored");
      assert.equal(method("random small\\.bin"), "Stored");
      assert.equal(method("zero\\.bin"), "Stored");
      assert.equal(method("several blocks\\.txt"), "Defl:N");
      assert.equal(method("block\\.txt"), "Defl:N");
    });
  },
});

/** Starts `zipCall` and runs `then` once the archive's temporary file holds `bytes` bytes. */
async function whenWritten(dir: string, bytes: number, then: () => Promise<void>) {
  for (;;) {
    for await (const e of Deno.readDir(dir)) {
      if (!e.name.startsWith(".") || !e.isFile) continue;
      const st = await Deno.stat(join(dir, e.name)).catch(() => null);
      if (st && st.size >= bytes) return await then();
    }
    await new Promise((r) => setTimeout(r, 1));
  }
}

/**
 * Zips `dir/src/log.txt` (24 MiB of text) to `dir/out.zip` and runs `change` on the file once
 * 16 KiB of the archive are written; answers Zip's result and the file's path.
 */
async function zipWhileChanging(dir: string, change: (src: string) => Promise<void>) {
  const src = join(dir, "src", "log.txt");
  await Deno.mkdir(join(dir, "src"));
  await Deno.writeFile(src, textLike(24 << 20));
  const zip = zipCall(testContext(), [src, join(dir, "out.zip")], SMALL);
  await whenWritten(dir, 16 << 10, () => change(src));
  return { r: await zip, src };
}

Deno.test("Zip() halted mid-way leaves no archive, no temporary file and no Worker", async () => {
  await withDir(async (dir) => {
    await Deno.mkdir(join(dir, "src"));
    await Deno.writeFile(join(dir, "src", "big.bin"), randomBytes(24 << 20));
    const ctx = testContext();
    const zip = zipCall(ctx, [join(dir, "src"), join(dir, "out.zip")], SMALL);
    let halted = false;
    await whenWritten(dir, 1 << 20, () => {
      halted = true;
      ctx.abort.abort();
      return Promise.resolve();
    });
    const r = await zip;
    assert.ok(halted);
    assert.equal(r.ok, false);
    assert.match(r.error!, /halted/);
    assert.deepEqual((await Array.fromAsync(Deno.readDir(dir))).map((e) => e.name), ["src"]);
    assert.equal(liveDeflateWorkers(), 0);
  });
});

Deno.test({
  name: "Zip() of a file that grows while it is zipped holds the file as it is at the end",
  ignore: !linux,
  async fn() {
    await withDir(async (dir) => {
      const { r, src } = await zipWhileChanging(
        dir,
        (src) => Deno.writeFile(src, randomBytes(1 << 20), { append: true }),
      );
      assert.equal(r.error, undefined);
      assert.equal(r.bytesCopied, 25 << 20);
      const t = await run("unzip", ["-t", join(dir, "out.zip")]);
      assert.equal(t.code, 0, t.text);
      const back = await unzipCall(testContext(), [join(dir, "out.zip"), join(dir, "back")]);
      assert.equal(back.error, undefined);
      assertSameBytes(await Deno.readFile(join(dir, "back", "log.txt")), await Deno.readFile(src));
    });
  },
});

Deno.test("Zip() of a file that shrinks while it is zipped fails and leaves no file", async () => {
  await withDir(async (dir) => {
    const { r } = await zipWhileChanging(dir, (src) => Deno.truncate(src, 1000));
    assert.equal(r.ok, false);
    assert.match(
      r.error!,
      /File "log\.txt" changed size while it was being zipped: \d+ bytes read, 1000 now/,
    );
    assert.deepEqual((await Array.fromAsync(Deno.readDir(dir))).map((e) => e.name), ["src"]);
    assert.equal(liveDeflateWorkers(), 0);
  });
});
