/**
 * Helpers for the VFS suites: deterministic byte patterns streamed without holding them, and
 * streaming digests.
 *
 * @module
 */

import assert from "node:assert/strict";
import { createHash } from "node:crypto";
import type { FileInfo, ReadOptions, Vfs } from "../../src/vfs/types.ts";
import { assertSameBytes } from "../fixtures/same_bytes.ts";

/** A stream of `size` pseudo-random bytes from `seed`, produced chunk by chunk. */
export function patternStream(
  size: number,
  seed = 1,
  chunk = 1024 * 1024,
): ReadableStream<Uint8Array> {
  let left = size;
  let x = seed >>> 0 || 1;
  return new ReadableStream<Uint8Array>({
    pull(c) {
      if (left <= 0) return c.close();
      const n = Math.min(chunk, left);
      const buf = new Uint8Array(n);
      for (let i = 0; i < n; i++) {
        x ^= x << 13;
        x ^= x >>> 17;
        x ^= x << 5;
        buf[i] = x & 0xff;
      }
      left -= n;
      c.enqueue(buf);
    },
  }, { highWaterMark: 0 });
}

/** `size` random bytes (crypto.getRandomValues gives at most 64 KiB per call). */
export function randomBytes(size: number): Uint8Array<ArrayBuffer> {
  const data = new Uint8Array(size);
  for (let i = 0; i < size; i += 65536) {
    crypto.getRandomValues(data.subarray(i, Math.min(i + 65536, size)));
  }
  return data;
}

/** SHA-256 of a stream, consumed chunk by chunk. */
export async function sha256(stream: ReadableStream<Uint8Array>): Promise<string> {
  const h = createHash("sha256");
  for await (const c of stream) h.update(c);
  return h.digest("hex");
}

/** Writes bytes or text to a VFS file. */
export async function put(vfs: Vfs, path: string, data: string | Uint8Array): Promise<void> {
  const bytes = typeof data === "string" ? new TextEncoder().encode(data) : data;
  const w = (await vfs.openWrite(path)).getWriter();
  if (bytes.length > 0) await w.write(bytes);
  await w.close();
}

/** Reads a whole (small) VFS file as text. */
export async function text(vfs: Vfs, path: string, opts?: ReadOptions): Promise<string> {
  return await new Response(await vfs.openRead(path, opts)).text();
}

/**
 * Reads `path` (holding `data`) of an object-store VFS whose reads come in parts of `part`
 * bytes: whole, and at offsets and lengths across part boundaries and past the end, byte for
 * byte; then stops a reader after its first chunk (the parts fetched ahead must be dropped, or
 * the test's resource check sees them).
 */
export async function assertReadsInParts(
  vfs: Vfs,
  path: string,
  data: Uint8Array,
  part: number,
): Promise<void> {
  const read = async (offset?: number, length?: number) =>
    new Uint8Array(await new Response(await vfs.openRead(path, { offset, length })).arrayBuffer());
  assertSameBytes(await read(), data);
  for (const [offset, length] of [[1, undefined], [part - 1, 2 * part + 2], [3 * part, part]]) {
    const want = data.subarray(offset, length === undefined ? undefined : offset! + length);
    assertSameBytes(await read(offset, length), want, `${offset}+${length}`);
  }
  assertSameBytes(await read(data.length - 3, 10 * part), data.subarray(-3));
  assert.equal((await read(data.length)).length, 0);
  const r = (await vfs.openRead(path)).getReader();
  await r.read();
  await r.cancel();
}

/** Sorted names of a folder's entries. */
export async function names(vfs: Vfs, path: string): Promise<string[]> {
  return (await vfs.list(path)).map((i: FileInfo) => i.name).sort();
}

/**
 * `inner` with every read stream passed through `onChunk(chunk, seenInThisStream)` before it is
 * handed on; `onChunk` may throw to break the stream. Every read is a stream (`readWhole` is
 * hidden). Everything else goes to `inner`.
 */
function tapReads(
  inner: Vfs,
  onChunk: (chunk: Uint8Array, seen: number) => void,
): Vfs {
  return new Proxy(inner, {
    get(target, prop, receiver) {
      if (prop === "readWhole") return undefined;
      if (prop !== "openRead") {
        const v = Reflect.get(target, prop, receiver);
        // Bind methods to the real object: backends keep #private state.
        return typeof v === "function" ? v.bind(target) : v;
      }
      return async (path: string, opts?: ReadOptions) => {
        let seen = 0;
        return (await target.openRead(path, opts)).pipeThrough(
          new TransformStream<Uint8Array, Uint8Array>({
            transform(chunk, c) {
              seen += chunk.length;
              onChunk(chunk, seen);
              c.enqueue(chunk);
            },
          }),
        );
      };
    },
  });
}

/**
 * A VFS whose reads fail after `failAfter` bytes: a stand-in for a source that drops the
 * connection mid-file. Everything else goes to `inner`.
 */
export function failingReads(inner: Vfs, failAfter: number): Vfs {
  return tapReads(inner, (_chunk, seen) => {
    if (seen > failAfter) throw new Error("connection reset by peer");
  });
}

/**
 * A VFS whose reads call `fn` once, when `after` bytes have been read in all: the moment to
 * break something real (kill a server's sessions) mid-file. Everything else goes to `inner`.
 */
export function onBytesRead(inner: Vfs, after: number, fn: () => void): Vfs {
  let total = 0;
  let fired = false;
  return tapReads(inner, (chunk) => {
    total += chunk.length;
    if (!fired && total > after) {
      fired = true;
      fn();
    }
  });
}
