import assert from "node:assert/strict";
import { join } from "node:path";
import yauzl from "yauzl";
import { joinBytes } from "../../../bytes.ts";
import { testContext } from "./_test_context.ts";
import { unzipCall, zipCall } from "./zip.ts";
import { type EntryInfo, readEntry } from "./zip_entry.ts";
import { runCommand } from "../../../../tests/fixtures/command.ts";
import { assertSameBytes } from "../../../../tests/fixtures/same_bytes.ts";
import { withTempDir } from "../../../../tests/fixtures/temp_dir.ts";

const linux = Deno.build.os === "linux";

const withDir = (fn: (dir: string) => Promise<void>) => withTempDir("aft-zip-entry-", fn);

/** `n` bytes, random in odd megabytes and text in even ones (both deflate paths). */
function mixed(n: number): Uint8Array {
  const out = new Uint8Array(n);
  const line = new TextEncoder().encode("2026-12-02;ACME;order;1234.50;SHIPPED\n");
  for (let at = 0; at < n; at += 65536) {
    const part = out.subarray(at, Math.min(n, at + 65536));
    if ((at >> 20) % 2 === 1) crypto.getRandomValues(part);
    else for (let i = 0; i < part.length; i++) part[i] = line[(at + i) % line.length]!;
  }
  return out;
}

/** Sizes around the 32 KiB inflated piece, the 1 MiB read and write, and the read ring. */
const FILES: [string, number][] = [
  ["zero.bin", 0],
  ["one.bin", 1],
  ["piece.bin", 32 << 10],
  ["mebibyte.bin", 1 << 20],
  ["mebibyte-and-one.bin", (1 << 20) + 1],
  ["several.bin", 5 * (1 << 20) + 7],
];

async function makeFiles(src: string): Promise<void> {
  await Deno.mkdir(src);
  for (const [name, n] of FILES) await Deno.writeFile(join(src, name), mixed(n));
}

async function sameFiles(a: string, b: string): Promise<void> {
  for (const [name] of FILES) {
    const x = await Deno.readFile(join(a, name));
    assertSameBytes(await Deno.readFile(join(b, name)), x, name);
  }
}

/** The central directory's entries of `path`. */
function entriesOf(path: string): Promise<EntryInfo[]> {
  return new Promise((res, rej) =>
    yauzl.open(path, { lazyEntries: true }, (err, zf) => {
      if (err) return rej(err);
      const list: EntryInfo[] = [];
      zf!.on("entry", (e: yauzl.Entry) => {
        list.push(e);
        zf!.readEntry();
      });
      zf!.on("end", () => res(list)); // closed by yauzl (autoClose)
      zf!.on("error", rej);
      zf!.readEntry();
    })
  );
}

/** Reads one entry with readEntry into memory. */
async function read(path: string, entry: EntryInfo): Promise<Uint8Array> {
  using zip = await Deno.open(path);
  const size = (await zip.stat()).size;
  const parts: Uint8Array[] = [];
  await readEntry(zip, size, entry, (c) => {
    parts.push(c.slice());
    return Promise.resolve();
  });
  return joinBytes(parts);
}

Deno.test("Unzip() extracts deflated entries of 0 bytes, one piece and many, byte for byte", async () => {
  await withDir(async (dir) => {
    await makeFiles(join(dir, "src"));
    const z = await zipCall(testContext(), [join(dir, "src"), join(dir, "a.zip")]);
    assert.equal(z.error, undefined);
    const r = await unzipCall(testContext(), [join(dir, "a.zip"), join(dir, "out")]);
    assert.equal(r.error, undefined);
    assert.equal(r.files, FILES.length);
    assert.equal(r.bytesCopied, FILES.reduce((n, [, s]) => n + s, 0));
    await sameFiles(join(dir, "src"), join(dir, "out"));
  });
});

Deno.test({
  name: "Unzip() extracts stored entries (zip -0) of 0 bytes, one piece and many, byte for byte",
  ignore: !linux,
  fn: async () => {
    await withDir(async (dir) => {
      await makeFiles(join(dir, "src"));
      const made = await runCommand("zip", ["-q", "-0", "-r", "../s.zip", "."], {
        cwd: join(dir, "src"),
      });
      assert.equal(made.code, 0, made.stderr);
      for (const e of await entriesOf(join(dir, "s.zip"))) assert.equal(e.compressionMethod, 0);
      const r = await unzipCall(testContext(), [join(dir, "s.zip"), join(dir, "out")]);
      assert.equal(r.error, undefined);
      await sameFiles(join(dir, "src"), join(dir, "out"));
    });
  },
});

Deno.test("readEntry() refuses an entry that disagrees with the central directory", async () => {
  await withDir(async (dir) => {
    await makeFiles(join(dir, "src"));
    await zipCall(testContext(), [join(dir, "src"), join(dir, "a.zip")]);
    const path = join(dir, "a.zip");
    const entries = await entriesOf(path);
    const e = entries.find((x) => x.fileName === "several.bin")!;
    assert.equal(e.compressionMethod, 8);
    assertSameBytes(
      await read(path, e),
      await Deno.readFile(join(dir, "src", e.fileName)),
      e.fileName,
    );
    const cases: [string, Partial<EntryInfo>, RegExp][] = [
      ["deflated data cut short", { compressedSize: e.compressedSize >> 1 }, /end of file/i],
      ["data past the archive's end", { compressedSize: 1 << 30 }, /runs past the end/],
      ["one byte more than recorded", { uncompressedSize: e.uncompressedSize - 1 }, /more than/],
      ["one byte less than recorded", { uncompressedSize: e.uncompressedSize + 1 }, /not its/],
      ["another CRC-32", { crc32: (e.crc32 ^ 1) >>> 0 }, /fails its CRC-32 check/],
      ["BZip2", { compressionMethod: 12 }, /compression method 12/],
      ["no local header there", {
        relativeOffsetOfLocalHeader: e.relativeOffsetOfLocalHeader + 1,
      }, /no local header/],
      ["stored with two sizes", { compressionMethod: 0 }, /two sizes differ/],
    ];
    for (const [what, change, why] of cases) {
      await assert.rejects(() => read(path, { ...e, ...change }), why, what);
    }
  });
});

Deno.test("Unzip() of an archive whose entry is cut short leaves the destination as it was", async () => {
  await withDir(async (dir) => {
    await makeFiles(join(dir, "src"));
    await zipCall(testContext(), [join(dir, "src"), join(dir, "a.zip")]);
    const bytes = await Deno.readFile(join(dir, "a.zip"));
    // The central directory says several.bin's deflated data is half as long as it is.
    const view = new DataView(bytes.buffer);
    const name = new TextEncoder().encode("several.bin");
    let patched = false;
    for (let at = bytes.length - 22; at >= 0 && !patched; at--) {
      if (view.getUint32(at, true) !== 0x02014b50) continue;
      const n = view.getUint16(at + 28, true);
      if (
        n === name.length && bytes.subarray(at + 46, at + 46 + n).every((b, i) => b === name[i])
      ) {
        view.setUint32(at + 20, view.getUint32(at + 20, true) >>> 1, true);
        patched = true;
      }
    }
    assert.ok(patched);
    await Deno.writeFile(join(dir, "cut.zip"), bytes);
    await Deno.mkdir(join(dir, "dest"));
    await Deno.writeTextFile(join(dir, "dest", "keep.txt"), "mine");
    const r = await unzipCall(testContext(), [join(dir, "cut.zip"), join(dir, "dest")]);
    assert.equal(r.ok, false);
    assert.match(r.error!, /^Cannot extract ".*cut\.zip": /);
    assert.deepEqual(Array.from(Deno.readDirSync(join(dir, "dest")), (e) => e.name), [
      "keep.txt",
    ]);
  });
});
