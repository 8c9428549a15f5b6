/**
 * One zip entry's data, read for Unzip: found through its local header, inflated by
 * `node:zlib` (or taken as it is when stored) and handed on in chunks, with its size and its
 * CRC-32 checked against the central directory.
 *
 * yauzl reads the archive for this in 16 to 64 KiB pieces, each in a fresh buffer, and its
 * inflater hands out 16 KiB pieces, each a stream event: for 128 MiB that was most of Unzip's
 * time. Here the archive is read a megabyte at a time into two buffers used in turn (the
 * inflater has taken a buffer's bytes when it calls back, so the buffer is free again), and
 * the inflater hands out 32 KiB (larger pieces were not faster and cost more memory).
 *
 * @module
 */

import { crc32, createInflateRaw } from "node:zlib";

/** Archive bytes per read. */
const READ = 1 << 20;
/** Inflated bytes per piece handed on. */
const INFLATED = 32 << 10;
const LOCAL_HEADER = 0x04034b50;
const STORED = 0;
const DEFLATED = 8;

/** What Unzip knows of an entry from the central directory (yauzl's names). */
export interface EntryInfo {
  fileName: string;
  relativeOffsetOfLocalHeader: number;
  compressedSize: number;
  uncompressedSize: number;
  compressionMethod: number;
  crc32: number;
}

/**
 * Reads `entry` from the archive open as `zip` (of `zipSize` bytes) and gives its data to
 * `sink` chunk by chunk (a chunk may be reused once `sink` returns). Throws when the entry is
 * damaged: its local header, its compressed data, its size or its CRC-32.
 */
export async function readEntry(
  zip: Deno.FsFile,
  zipSize: number,
  entry: EntryInfo,
  sink: (chunk: Uint8Array) => Promise<void>,
): Promise<void> {
  const name = entry.fileName;
  const head = new Uint8Array(30);
  await zip.seek(entry.relativeOffsetOfLocalHeader, Deno.SeekMode.Start);
  await readFull(zip, head, name);
  const view = new DataView(head.buffer);
  if (view.getUint32(0, true) !== LOCAL_HEADER) {
    throw new Error(`Entry "${name}" has no local header where the directory says`);
  }
  const start = entry.relativeOffsetOfLocalHeader + 30 + view.getUint16(26, true) +
    view.getUint16(28, true);
  if (start + entry.compressedSize > zipSize) {
    throw new Error(`Entry "${name}" runs past the end of the archive`);
  }
  await zip.seek(start, Deno.SeekMode.Start);
  let crc = 0;
  let size = 0;
  const take = async (chunk: Uint8Array) => {
    size += chunk.length;
    if (size > entry.uncompressedSize) {
      throw new Error(
        `Entry "${name}" holds more than its recorded ${entry.uncompressedSize} bytes`,
      );
    }
    crc = crc32(chunk, crc);
    await sink(chunk);
  };
  if (entry.compressionMethod === STORED) {
    if (entry.compressedSize !== entry.uncompressedSize) {
      throw new Error(`Entry "${name}" is stored but its two sizes differ`);
    }
    const buf = new Uint8Array(Math.min(READ, entry.compressedSize));
    for (let left = entry.compressedSize; left > 0;) {
      const n = await readSome(zip, buf.subarray(0, Math.min(buf.length, left)), name);
      left -= n;
      await take(buf.subarray(0, n));
    }
  } else if (entry.compressionMethod === DEFLATED) {
    await inflate(zip, entry.compressedSize, name, take);
  } else {
    throw new Error(`Entry "${name}" uses compression method ${entry.compressionMethod}`);
  }
  if (size !== entry.uncompressedSize) {
    throw new Error(
      `Entry "${name}" holds ${size} bytes, not its recorded ${entry.uncompressedSize}`,
    );
  }
  // yauzl checks the sizes only; a damaged stored entry keeps its size (Info-ZIP checks the
  // CRC-32 too).
  if (crc >>> 0 !== entry.crc32 >>> 0) throw new Error(`Entry "${name}" fails its CRC-32 check`);
}

/** Inflates `length` bytes read from `zip` (positioned at them) into `take`. */
async function inflate(
  zip: Deno.FsFile,
  length: number,
  name: string,
  take: (chunk: Uint8Array) => Promise<void>,
): Promise<void> {
  const inflater = createInflateRaw({ chunkSize: INFLATED });
  // Reads ahead while the inflated data is taken; a failure here ends the inflater with it,
  // so the loop below sees it. Never rejects.
  const feeding = (async () => {
    const ring = [new Uint8Array(Math.min(READ, length)), new Uint8Array(Math.min(READ, length))];
    const taken: Promise<void>[] = [Promise.resolve(), Promise.resolve()];
    let turn = 0;
    try {
      for (let left = length; left > 0;) {
        await taken[turn];
        const buf = ring[turn]!;
        const n = await readSome(zip, buf.subarray(0, Math.min(buf.length, left)), name);
        left -= n;
        const done = new Promise<void>((ok, fail) =>
          inflater.write(buf.subarray(0, n), (err) => err ? fail(err) : ok())
        );
        done.catch(() => {}); // awaited above in its turn; seen through the inflater if it fails
        taken[turn] = done;
        turn ^= 1;
      }
      inflater.end();
    } catch (err) {
      inflater.destroy(err instanceof Error ? err : new Error(String(err)));
    }
  })();
  try {
    for await (const chunk of inflater) await take(chunk as Uint8Array);
  } finally {
    inflater.destroy();
  }
  await feeding;
}

async function readSome(zip: Deno.FsFile, buf: Uint8Array, name: string): Promise<number> {
  const n = await zip.read(buf);
  if (n === null || n === 0) throw new Error(`Entry "${name}" is cut short`);
  return n;
}

async function readFull(zip: Deno.FsFile, buf: Uint8Array, name: string): Promise<void> {
  for (let off = 0; off < buf.length;) off += await readSome(zip, buf.subarray(off), name);
}
