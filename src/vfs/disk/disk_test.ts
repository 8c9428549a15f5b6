/**
 * The disk VFS's read stream as a byte stream: ordinary readers get chunks that stay intact
 * once handed out, BYOB readers get the file's bytes in their own memory, at any size, for
 * empty files, ranges, and files that grow or shrink while they are read.
 */

import assert from "node:assert/strict";
import { join } from "node:path";
import { joinBytes } from "../../bytes.ts";
import { DiskVfs } from "./disk.ts";

const MiB = 1024 * 1024;

/** `n` bytes of a pattern that differs from chunk to chunk (byte i is a hash of i). */
function pattern(n: number, seed = 0): Uint8Array<ArrayBuffer> {
  const out = new Uint8Array(n);
  for (let i = 0; i < n; i++) out[i] = (Math.imul(i + seed, 2654435761) >>> 24) & 0xff;
  return out;
}

async function withFile(
  data: Uint8Array,
  fn: (vfs: DiskVfs, os: string) => Promise<void>,
): Promise<void> {
  const dir = await Deno.makeTempDir({ prefix: "aft-disk-read-" });
  try {
    await Deno.writeFile(join(dir, "f.bin"), data);
    await fn(await DiskVfs.open(dir), join(dir, "f.bin"));
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
}

/** Reads the whole stream with a BYOB reader, lending views of `size` bytes each time. */
async function readByob(s: ReadableStream<Uint8Array>, size: number): Promise<Uint8Array> {
  const reader = s.getReader({ mode: "byob" });
  const parts: Uint8Array[] = [];
  for (;;) {
    const { value, done } = await reader.read(new Uint8Array(size));
    assert.ok(value, "a BYOB read gives its memory back");
    assert.ok(value.byteLength <= size);
    if (value.byteLength > 0) parts.push(value);
    if (done) return joinBytes(parts);
  }
}

/** Equal bytes; on a difference, a short message (a diff of megabytes takes minutes). */
function assertBytes(got: Uint8Array, want: Uint8Array, what = ""): void {
  const i = got.findIndex((b, i) => b !== want[i]);
  assert.ok(
    got.length === want.length && i < 0,
    `${what}: ${got.length} bytes, expected ${want.length}; first difference at ${i}`,
  );
}

Deno.test("disk openRead: chunks handed out earlier keep their bytes while later ones are read", async () => {
  const data = pattern(3 * MiB + 12_345);
  await withFile(data, async (vfs) => {
    const chunks: Uint8Array[] = [];
    for await (const c of await vfs.openRead("/f.bin")) chunks.push(c);
    assert.ok(chunks.length >= 4, `read in several chunks (${chunks.length})`);
    assertBytes(joinBytes(chunks), data);
  });
});

Deno.test("disk openRead: a BYOB reader gets the bytes in its own memory at odd sizes", async () => {
  const data = pattern(2 * MiB + 7);
  await withFile(data, async (vfs) => {
    for (const size of [4097, 65_537, MiB + 3, 3 * MiB]) {
      assertBytes(await readByob(await vfs.openRead("/f.bin"), size), data, `size ${size}`);
    }
    // Into one large buffer, as the S3 upload's part buffers: its own memory comes back.
    const reader = (await vfs.openRead("/f.bin")).getReader({ mode: "byob" });
    let buf = new Uint8Array(4 * MiB);
    let fill = 0;
    for (;;) {
      const { value, done } = await reader.read(buf.subarray(fill));
      buf = new Uint8Array(value!.buffer);
      fill += value!.byteLength;
      if (done) break;
    }
    assert.equal(buf.length, 4 * MiB);
    assertBytes(buf.subarray(0, fill), data);
  });
  const small = pattern(50_001);
  await withFile(small, async (vfs) => {
    for (const size of [1, 7]) {
      assertBytes(await readByob(await vfs.openRead("/f.bin"), size), small, `size ${size}`);
    }
  });
});

Deno.test("disk openRead: a range is read exactly, by ordinary and BYOB readers", async () => {
  const data = pattern(2 * MiB + 999);
  await withFile(data, async (vfs) => {
    const want = data.subarray(4099, 4099 + MiB - 5);
    const opts = { offset: 4099, length: MiB - 5 };
    const chunks: Uint8Array[] = [];
    for await (const c of await vfs.openRead("/f.bin", opts)) chunks.push(c);
    assertBytes(joinBytes(chunks), want);
    assertBytes(await readByob(await vfs.openRead("/f.bin", opts), 2 * MiB), want);
    assertBytes(
      await readByob(await vfs.openRead("/f.bin", { length: 0 }), 10),
      new Uint8Array(0),
    );
  });
});

Deno.test("disk openRead: an empty file ends at once, for both kinds of reader", async () => {
  await withFile(new Uint8Array(0), async (vfs) => {
    const chunks: Uint8Array[] = [];
    for await (const c of await vfs.openRead("/f.bin")) chunks.push(c);
    assert.deepEqual(chunks, []);
    const reader = (await vfs.openRead("/f.bin")).getReader({ mode: "byob" });
    const { value, done } = await reader.read(new Uint8Array(16));
    assert.equal(done, true);
    assert.equal(value?.byteLength, 0);
    assert.equal(value?.buffer.byteLength, 16, "the lent memory comes back");
  });
});

Deno.test("disk openRead: a file that grows while it is read is read to its new end", async () => {
  const first = pattern(MiB + 5);
  const more = pattern(2 * MiB, 7);
  await withFile(first, async (vfs, os) => {
    for (const byob of [false, true]) {
      await Deno.writeFile(os, first);
      const stream = await vfs.openRead("/f.bin");
      const got: Uint8Array[] = [];
      let grown = false;
      const grow = () => {
        if (!grown) Deno.writeFileSync(os, more, { append: true });
        grown = true;
      };
      if (byob) {
        const reader = stream.getReader({ mode: "byob" });
        for (;;) {
          const { value, done } = await reader.read(new Uint8Array(300_000));
          if (value?.byteLength) got.push(value);
          grow();
          if (done) break;
        }
      } else {
        for await (const c of stream) {
          got.push(c);
          grow();
        }
      }
      assertBytes(joinBytes(got), joinBytes([first, more]), byob ? "BYOB" : "ordinary");
    }
  });
});

Deno.test("disk openRead: a file cut short while it is read ends where the file now ends", async () => {
  const data = pattern(3 * MiB);
  await withFile(data, async (vfs, os) => {
    for (const byob of [false, true]) {
      await Deno.writeFile(os, data);
      const stream = await vfs.openRead("/f.bin");
      const got: Uint8Array[] = [];
      const cut = () => Deno.truncateSync(os, MiB + 10);
      if (byob) {
        const reader = stream.getReader({ mode: "byob" });
        for (;;) {
          const { value, done } = await reader.read(new Uint8Array(MiB));
          if (value?.byteLength) got.push(value);
          cut();
          if (done) break;
        }
      } else {
        for await (const c of stream) {
          got.push(c);
          cut();
        }
      }
      assertBytes(joinBytes(got), data.subarray(0, MiB + 10), byob ? "BYOB" : "ordinary");
    }
  });
});
