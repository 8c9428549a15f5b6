import assert from "node:assert/strict";
import { join } from "node:path";
import { rejectsWith, withEngine } from "./_test_engine.ts";
import type { Engine } from "./surface.ts";

/** An engine with a disk VFS "box" over a fresh folder. */
async function withBox(fn: (engine: Engine, dir: string) => Promise<void>) {
  await withEngine(async (engine) => {
    const dir = await Deno.makeTempDir();
    try {
      await engine.vfs.add({ name: "box", type: "disk", target: dir, options: {} });
      await fn(engine, dir);
    } finally {
      await Deno.remove(dir, { recursive: true });
    }
  });
}

const bytes = (s: string) => new TextEncoder().encode(s);
const streamOf = (...chunks: string[]) => ReadableStream.from(chunks.map(bytes));
const text = async (s: ReadableStream<Uint8Array>) => await new Response(s).text();

/** Names in `dir` on disk, temporary files included. */
const onDisk = async (dir: string) => {
  const out: string[] = [];
  for await (const e of Deno.readDir(dir)) out.push(e.name);
  return out.sort();
};

Deno.test("files: list folders first then by name, upload, download, mkdir, rename, delete", async () => {
  await withBox(async (engine, dir) => {
    const f = engine.vfs.files;
    await f.mkdir("box", "/in");
    const up = await f.upload("BOX", "/in/report.csv", streamOf("a,b\n", "1,2\n"), { size: 8 });
    assert.deepEqual([up.name, up.path, up.size, up.isDir], [
      "report.csv",
      "/in/report.csv",
      8,
      false,
    ]);
    await f.upload("box", "/b.txt", streamOf("b"));
    await f.upload("box", "/A.txt", streamOf("a"));
    const root = await f.list("box", "/");
    assert.deepEqual(root.entries.map((e) => e.name), ["in", "A.txt", "b.txt"]);
    assert.equal(root.path, "/");
    const { file, body } = await f.download("box", "in/report.csv");
    assert.equal(file.size, 8);
    assert.equal(await text(body), "a,b\n1,2\n");
    await f.rename("box", "/in/report.csv", "/in/old.csv");
    assert.deepEqual(await onDisk(join(dir, "in")), ["old.csv"]);
    await rejectsWith(f.rename("box", "/A.txt", "/b.txt"), "ALREADY_EXISTS");
    await rejectsWith(f.rename("box", "/in", "/in/deeper"), "INVALID_REQUEST");
    await rejectsWith(f.upload("box", "/b.txt", streamOf("x")), "ALREADY_EXISTS");
    await f.upload("box", "/b.txt", streamOf("new"), { overwrite: true });
    assert.equal(await Deno.readTextFile(join(dir, "b.txt")), "new");
    await rejectsWith(f.mkdir("box", "/in"), "ALREADY_EXISTS");
    await f.remove("box", "/in");
    assert.deepEqual(await onDisk(dir), ["A.txt", "b.txt"]);
    await rejectsWith(f.remove("box", "/"), "INVALID_REQUEST");
    await rejectsWith(f.remove("box", "/nope"), "FILE_NOT_FOUND");
    await rejectsWith(f.list("box", "/nope"), "FILE_NOT_FOUND");
    await rejectsWith(f.download("box", "/"), "INVALID_REQUEST");
    await rejectsWith(f.upload("box", "/no/such/x", streamOf("x")), "FILE_NOT_FOUND");
    await rejectsWith(f.list("nobox", "/"), "VFS_NOT_FOUND");
  });
});

Deno.test("files: an upload cut short or failing leaves no file and no temporary file", async () => {
  await withBox(async (engine, dir) => {
    const f = engine.vfs.files;
    // The page was closed: the stream ended before the announced size.
    const msg = await rejectsWith(
      f.upload("box", "/big.bin", streamOf("x".repeat(1000)), { size: 5000 }),
      "INVALID_REQUEST",
    );
    assert.match(msg, /ended after 1000 of 5000 bytes: nothing was stored/);
    // The connection broke: the stream errors.
    let n = 0;
    const broken = new ReadableStream<Uint8Array>({
      pull(c) {
        if (n++ < 3) c.enqueue(bytes("chunk"));
        else c.error(new Error("connection reset"));
      },
    });
    await rejectsWith(f.upload("box", "/big.bin", broken), "INVALID_REQUEST");
    // A file that was there stays as it was.
    await Deno.writeTextFile(join(dir, "keep.txt"), "original");
    await rejectsWith(
      f.upload("box", "/keep.txt", streamOf("par"), { overwrite: true, size: 100 }),
      "INVALID_REQUEST",
    );
    assert.equal(await Deno.readTextFile(join(dir, "keep.txt")), "original");
    assert.deepEqual(await onDisk(dir), ["keep.txt"]);
  });
});

Deno.test("files: hostile names are files like any other; paths never leave the VFS", async () => {
  await withBox(async (engine, dir) => {
    const f = engine.vfs.files;
    const names = [
      '<script>alert("x")<\\script>.txt',
      "..dots..",
      "quo'te\"s",
      "ünï cödé ✓",
      "a&b;c",
    ];
    for (const n of names) await f.upload("box", `/${n}`, streamOf(n));
    assert.deepEqual(
      (await f.list("box", "/")).entries.map((e) => e.name).sort(),
      [...names].sort(),
    );
    for (const n of names) assert.equal(await Deno.readTextFile(join(dir, n)), n);
    for (const bad of ["/../escape.txt", "../../etc/passwd", "/a\u0000b"]) {
      await rejectsWith(f.upload("box", bad, streamOf("x")), "INVALID_REQUEST");
      await rejectsWith(f.list("box", bad), "INVALID_REQUEST");
    }
    // No new name with a control character; one that exists can still be handled.
    await rejectsWith(f.upload("box", "/a\nb", streamOf("x")), "INVALID_REQUEST");
    await rejectsWith(f.mkdir("box", "/a\u001bb"), "INVALID_REQUEST");
    await Deno.writeTextFile(join(dir, "line\nbreak"), "made elsewhere");
    assert.equal(await text((await f.download("box", "/line\nbreak")).body), "made elsewhere");
    await f.remove("box", "/line\nbreak");
    // A folder made elsewhere with one in its name takes new files and renames.
    await Deno.mkdir(join(dir, "in\nside"));
    await f.upload("box", "/in\nside/new.txt", streamOf("x"));
    await f.rename("box", "/in\nside/new.txt", "/in\nside/renamed.txt");
    await rejectsWith(f.mkdir("box", "/in\nside/a\nb/"), "INVALID_REQUEST");
    await f.remove("box", "/in\nside");
    await rejectsWith(f.rename("box", `/${names[0]}`, "/../out.txt"), "INVALID_REQUEST");
    await rejectsWith(f.upload("box", "/.x.aft-12345678.tmp", streamOf("x")), "INVALID_REQUEST");
    assert.deepEqual((await onDisk(dir)).length, names.length);
  });
});

Deno.test("files: a large upload is streamed through, the same bytes come back", async () => {
  await withBox(async (engine, dir) => {
    const chunk = new Uint8Array(1 << 20).map((_, i) => i % 251);
    const count = 48;
    let sent = 0;
    const body = new ReadableStream<Uint8Array>({
      pull(c) {
        if (sent++ < count) c.enqueue(chunk.slice());
        else c.close();
      },
    });
    const up = await engine.vfs.files.upload("box", "/big.bin", body, {
      size: count * chunk.length,
    });
    assert.equal(up.size, count * chunk.length);
    assert.equal((await Deno.stat(join(dir, "big.bin"))).size, count * chunk.length);
    const { body: back } = await engine.vfs.files.download("box", "/big.bin");
    let n = 0;
    let same = true;
    for await (const part of back) {
      for (let i = 0; i < part.length; i += 4099) same &&= part[i] === (n + i) % (1 << 20) % 251;
      n += part.length;
    }
    assert.equal(n, count * chunk.length);
    assert.ok(same);
  });
});
