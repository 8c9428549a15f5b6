/**
 * A streaming zip writer on a file it may seek in: each entry's local header goes first with
 * the sizes unknown, then the data, then the header is rewritten in place with the CRC-32 and
 * the sizes (no data descriptors: the most widely read form). Large entries are deflated in
 * parallel (zip_deflate.ts), small ones inline; an entry whose deflated form is not smaller is
 * stored instead. Zip64 records are written where a size, offset or count needs them; the
 * threshold is a parameter so that tests can force them on small files.
 *
 * A file is read to its end, so one that grows while it is zipped is zipped as it is at the
 * end; one whose size at the end differs from the bytes read (it shrank) is refused, and so is
 * one that grows past what its local header can record.
 *
 * @module
 */

import { crc32 } from "node:zlib";
import { centralHeader, endRecords, type EntryMeta, localHeader, MAX32 } from "./zip_format.ts";
import { type Deflated, DeflatePool } from "./zip_deflate.ts";
import { deflateBlock, outputRoom, release } from "./zip_deflate_worker.ts";

/** Options of a ZipWriter; the defaults suit real use. */
export interface ZipWriterOptions {
  /** Halts the writer between blocks. */
  signal?: AbortSignal;
  /** Sizes, offsets and counts from this value up use Zip64 (default 0xffffffff). */
  zip64From?: number;
  /** Bytes per deflate block (default 1 MiB). */
  blockSize?: number;
  /** Files from this size up are deflated by the pool (default 4 MiB). */
  poolFrom?: number;
  /** Workers of the pool (default: one less than the cores, 1 to 3). */
  workers?: number;
  /** Whether this thread deflates a share of a large file's blocks too (default true). */
  mainLane?: boolean;
}

/** A deflate stream's closing block: an empty final block with fixed codes, after a sync flush. */
const FINAL_BLOCK = new Uint8Array([0x03, 0x00]);
const COALESCE = 64 * 1024;

/** The bytes read into `buf` from `file`, until it is full or the file ends. */
async function readFull(file: Deno.FsFile, buf: Uint8Array): Promise<number> {
  let n = 0;
  while (n < buf.length) {
    const got = await file.read(buf.subarray(n));
    if (got === null) break;
    n += got;
  }
  return n;
}

function sizeChanged(meta: EntryMeta, read: number, now: number): Error {
  const name = new TextDecoder().decode(meta.name);
  return new Error(
    `File "${name}" changed size while it was being zipped: ${read} bytes read, ${now} now`,
  );
}

/** An entry name as the archive holds it: `/`-separated, relative, no `..`. */
export function archiveName(name: string, dir: boolean): string {
  let n = name.replaceAll("\\", "/");
  if (n === "" || n.startsWith("/") || /^[A-Za-z]:/.test(n)) {
    throw new Error(`Cannot zip "${name}": not a relative name`);
  }
  if (n.split("/").includes("..")) throw new Error(`Cannot zip "${name}": it climbs out with ".."`);
  if (dir && !n.endsWith("/")) n += "/";
  return n;
}

/** Writes one archive into `file` (opened for writing, empty); see the module note. */
export class ZipWriter {
  readonly #file: Deno.FsFile;
  readonly #signal: AbortSignal | undefined;
  readonly #limit: number;
  readonly #block: number;
  readonly #poolFrom: number;
  readonly #workers: number | undefined;
  readonly #mainLane: boolean;
  #pool: DeflatePool | undefined;
  readonly #inline = new DeflatePool(0);
  readonly #entries: EntryMeta[] = [];
  #pos = 0;
  #pending: Uint8Array[] = [];
  /** Block and output buffers free for reuse (at most a window's worth exist). */
  readonly #freeIn: ArrayBuffer[] = [];
  readonly #freeOut: ArrayBuffer[] = [];
  #pendingLen = 0;

  constructor(file: Deno.FsFile, opts: ZipWriterOptions = {}) {
    this.#file = file;
    this.#signal = opts.signal;
    this.#limit = opts.zip64From ?? MAX32;
    this.#block = opts.blockSize ?? 1024 * 1024;
    this.#poolFrom = opts.poolFrom ?? 4 * 1024 * 1024;
    this.#workers = opts.workers;
    this.#mainLane = opts.mainLane ?? true;
  }

  /** Adds an empty folder entry (`name` gets its trailing `/`). */
  async addDirectory(name: string, mtime: Date, mode: number): Promise<void> {
    const meta = this.#meta(archiveName(name, true), mtime, mode, false);
    meta.method = 0;
    await this.#write(localHeader(meta));
    this.#entries.push(meta);
  }

  /** Adds the file `abs` as `name`; returns the bytes read from it. */
  async addFile(abs: string, name: string, mtime: Date, mode: number): Promise<number> {
    const entryName = archiveName(name, false);
    const src = await Deno.open(abs);
    try {
      const { size: statSize } = await src.stat();
      // Room for deflate's worst case too (stored blocks add 5 bytes per 16 KiB).
      const localZip64 = statSize + Math.ceil(statSize / 1024) + 1024 >= this.#limit;
      const meta = this.#meta(entryName, mtime, mode, localZip64);
      if (statSize < this.#block && await this.#addSmall(src, meta)) return meta.size;
      await this.#write(localHeader(meta));
      const dataStart = this.#pos;
      const pool = statSize >= this.#poolFrom
        ? (this.#pool ??= new DeflatePool(this.#workers, this.#mainLane))
        : this.#inline;
      await this.#deflate(src, meta, pool);
      const now = (await src.stat()).size;
      if (now !== meta.size) throw sizeChanged(meta, meta.size, now);
      if (meta.method === 8 && meta.compressed >= meta.size) {
        await this.#storeInstead(src, meta, dataStart, entryName);
      }
      if (!localZip64 && (meta.size >= this.#limit || meta.compressed >= this.#limit)) {
        throw new Error(`File "${entryName}" grew past 4 GiB while it was being zipped`);
      }
      await this.#flush();
      await this.#file.seek(meta.offset, Deno.SeekMode.Start);
      await this.#writeRaw(localHeader(meta));
      await this.#file.seek(this.#pos, Deno.SeekMode.Start);
      this.#entries.push(meta);
      return meta.size;
    } finally {
      src.close();
    }
  }

  /** Writes the central directory and the end records. */
  async finish(): Promise<void> {
    const cdOffset = this.#pos;
    for (const e of this.#entries) await this.#write(centralHeader(e, this.#limit));
    const cdSize = this.#pos - cdOffset;
    for (const p of endRecords(this.#entries.length, cdOffset, cdSize, this.#limit)) {
      await this.#write(p);
    }
    await this.#flush();
  }

  /** Stops the pool's Workers (call in every case, also after a failure). */
  close(): void {
    this.#pool?.close();
    this.#pool = undefined;
  }

  #meta(name: string, mtime: Date, mode: number, localZip64: boolean): EntryMeta {
    return {
      name: new TextEncoder().encode(name),
      utf8: /[\u0080-\u{10ffff}]/u.test(name),
      method: 8,
      mtime,
      mode,
      crc: 0,
      compressed: 0,
      size: 0,
      offset: this.#pos,
      localZip64,
    };
  }

  /**
   * Adds a file that fits in one block, read whole first: its header is written once, with
   * the CRC-32 and sizes known. False (and `src` back at its start) when it did not fit.
   */
  async #addSmall(src: Deno.FsFile, meta: EntryMeta): Promise<boolean> {
    this.#halted();
    const buf = this.#freeIn.pop() ?? new ArrayBuffer(this.#block);
    try {
      const n = await readFull(src, new Uint8Array(buf));
      if (n === this.#block) {
        await src.seek(0, Deno.SeekMode.Start);
        return false;
      }
      const data = new Uint8Array(buf, 0, n);
      const now = (await src.stat()).size;
      if (now !== n) throw sizeChanged(meta, n, now);
      meta.crc = crc32(data, 0) >>> 0;
      meta.size = n;
      const z = n > 0 ? deflateBlock(data, true) : undefined;
      const keep = z && z.length < n ? z : data;
      meta.method = keep === data ? 0 : 8;
      meta.compressed = keep.length;
      await this.#write(localHeader(meta));
      await this.#write(keep);
      if (z) release(z);
      this.#entries.push(meta);
      return true;
    } finally {
      this.#freeIn.push(buf);
    }
  }

  #halted(): void {
    if (this.#signal?.aborted) throw new Error("The job was halted");
  }

  /** Reads `src` to its end, deflating block by block; sets the sizes, CRC and method. */
  async #deflate(src: Deno.FsFile, meta: EntryMeta, pool: DeflatePool): Promise<void> {
    const free = this.#freeIn;
    const freeOut = this.#freeOut;
    const queue: Promise<Deflated>[] = [];
    const window = pool.lanes * 2;
    let closed = false;
    const writeOne = async () => {
      const d = await queue.shift()!;
      await this.#write(d.data);
      meta.compressed += d.data.length;
      free.push(d.buf);
      freeOut.push(d.out);
    };
    for (;;) {
      this.#halted();
      const buf = free.pop() ?? new ArrayBuffer(this.#block);
      const n = await readFull(src, new Uint8Array(buf));
      if (n === 0) {
        free.push(buf);
        break;
      }
      const block = new Uint8Array(buf, 0, n);
      meta.crc = crc32(block, meta.crc) >>> 0;
      meta.size += n;
      const last = n < this.#block;
      const out = freeOut.pop() ?? new ArrayBuffer(outputRoom(this.#block));
      const p = pool.deflate(block, out, last);
      p.catch(() => {}); // a failure is seen where it is awaited, in order
      queue.push(p);
      while (queue.length >= window) await writeOne();
      if (last) {
        closed = true;
        break;
      }
    }
    while (queue.length > 0) await writeOne();
    if (meta.size === 0) {
      meta.method = 0;
      return;
    }
    if (!closed) {
      await this.#write(FINAL_BLOCK);
      meta.compressed += FINAL_BLOCK.length;
    }
  }

  /** Replaces the deflated data just written with the file's bytes as they are. */
  async #storeInstead(src: Deno.FsFile, meta: EntryMeta, dataStart: number, name: string) {
    await this.#flush();
    await this.#file.seek(dataStart, Deno.SeekMode.Start);
    this.#pos = dataStart;
    await src.seek(0, Deno.SeekMode.Start);
    const buf = new Uint8Array(this.#block);
    let crc = 0;
    let size = 0;
    for (;;) {
      this.#halted();
      const n = await readFull(src, buf);
      if (n === 0) break;
      crc = crc32(buf.subarray(0, n), crc) >>> 0;
      size += n;
      await this.#writeNow(buf.subarray(0, n));
    }
    if (size !== meta.size || crc !== meta.crc) {
      throw new Error(`File "${name}" changed while it was being zipped`);
    }
    await this.#file.truncate(this.#pos);
    meta.method = 0;
    meta.compressed = size;
  }

  async #write(b: Uint8Array): Promise<void> {
    if (b.length >= COALESCE) {
      await this.#flush();
      await this.#writeNow(b);
      return;
    }
    this.#pending.push(new Uint8Array(b)); // a copy: callers reuse their buffers
    this.#pendingLen += b.length;
    this.#pos += b.length;
    if (this.#pendingLen >= COALESCE) await this.#flush();
  }

  async #flush(): Promise<void> {
    if (this.#pendingLen === 0) return;
    const all = new Uint8Array(this.#pendingLen);
    let at = 0;
    for (const p of this.#pending) {
      all.set(p, at);
      at += p.length;
    }
    this.#pending = [];
    this.#pendingLen = 0;
    await this.#writeRaw(all);
  }

  /** Writes `b` at the file's position now (nothing may be pending), advancing `#pos`. */
  async #writeNow(b: Uint8Array): Promise<void> {
    await this.#writeRaw(b);
    this.#pos += b.length;
  }

  /** Writes `b` at the file's position now; `#pos` stays. */
  async #writeRaw(b: Uint8Array): Promise<void> {
    for (let o = 0; o < b.length;) o += await this.#file.write(b.subarray(o));
  }
}
