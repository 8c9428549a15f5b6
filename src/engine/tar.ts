/**
 * A small streaming tar (POSIX ustar) writer and reader for backup files: regular files only,
 * names under 100 bytes, contents copied in chunks (a database of gigabytes is never held in
 * memory). `tar -tvf` lists what it writes.
 *
 * @module
 */

const BLOCK = 512;
const enc = new TextEncoder();
const dec = new TextDecoder();

/** One file to put in the archive: from a path on disk, or bytes. */
export type TarSource = { name: string; mode?: number } & ({ path: string } | { data: Uint8Array });

function octal(n: number, width: number): string {
  return n.toString(8).padStart(width - 1, "0") + "\0";
}

function header(name: string, size: number, mode: number, mtime: number): Uint8Array {
  const h = new Uint8Array(BLOCK);
  const nameBytes = enc.encode(name);
  if (nameBytes.length >= 100) throw new RangeError(`Name too long for tar: "${name}"`);
  const put = (text: string, off: number) => h.set(enc.encode(text), off);
  h.set(nameBytes, 0);
  put(octal(mode & 0o7777, 8), 100);
  put(octal(0, 8), 108); // uid
  put(octal(0, 8), 116); // gid
  put(octal(size, 12), 124);
  put(octal(Math.floor(mtime / 1000), 12), 136);
  put("        ", 148); // checksum, counted as spaces
  put("0", 156); // regular file
  put("ustar\0" + "00", 257);
  let sum = 0;
  for (const b of h) sum += b;
  put(octal(sum, 7) + " ", 148);
  return h;
}

async function writeAll(out: Deno.FsFile, bytes: Uint8Array): Promise<void> {
  let off = 0;
  while (off < bytes.length) off += await out.write(bytes.subarray(off));
}

/** Writes `sources` as a tar archive to `out` (which the caller closes). */
export async function writeTar(out: Deno.FsFile, sources: TarSource[]): Promise<void> {
  const now = Date.now();
  for (const s of sources) {
    if ("data" in s) {
      await writeAll(out, header(s.name, s.data.length, s.mode ?? 0o600, now));
      await writeAll(out, s.data);
      await writeAll(out, new Uint8Array((BLOCK - (s.data.length % BLOCK)) % BLOCK));
      continue;
    }
    using file = await Deno.open(s.path, { read: true });
    const size = (await file.stat()).size;
    await writeAll(out, header(s.name, size, s.mode ?? 0o600, now));
    let copied = 0;
    const buf = new Uint8Array(1 << 16);
    while (copied < size) {
      const n = await file.read(buf.subarray(0, Math.min(buf.length, size - copied)));
      if (n === null) throw new Error(`"${s.path}" shrank while it was copied`);
      await writeAll(out, buf.subarray(0, n));
      copied += n;
    }
    await writeAll(out, new Uint8Array((BLOCK - (size % BLOCK)) % BLOCK));
  }
  await writeAll(out, new Uint8Array(BLOCK * 2));
}

async function readFull(file: Deno.FsFile, buf: Uint8Array): Promise<boolean> {
  let off = 0;
  while (off < buf.length) {
    const n = await file.read(buf.subarray(off));
    if (n === null) return off === 0 ? false : truncated();
    off += n;
  }
  return true;
}

function truncated(): never {
  throw new Error("the archive is cut short");
}

/** An entry as the reader meets it. */
export interface TarEntry {
  name: string;
  size: number;
  /** Copies the entry's content to `dest` (a new file, mode 0600); else it is skipped. */
  saveTo(dest: string): Promise<void>;
  /** The entry's content in memory (for small entries such as the manifest). */
  bytes(): Promise<Uint8Array>;
}

/** Reads the tar archive at `path`, calling `onEntry` for each file in order. */
export async function readTar(
  path: string,
  onEntry: (entry: TarEntry) => Promise<void>,
): Promise<void> {
  using file = await Deno.open(path, { read: true });
  const h = new Uint8Array(BLOCK);
  while (await readFull(file, h)) {
    if (h.every((b) => b === 0)) return;
    let sum = 0;
    for (let i = 0; i < BLOCK; i++) sum += i >= 148 && i < 156 ? 32 : h[i]!;
    const field = (off: number, len: number) =>
      dec.decode(h.subarray(off, off + len)).replace(/\0.*$/s, "").trim();
    if (parseInt(field(148, 8), 8) !== sum) {
      throw new Error("not a tar archive (bad header checksum)");
    }
    const name = field(0, 100);
    const size = parseInt(field(124, 12), 8);
    const type = field(156, 1) || "0";
    let left = size;
    const copy = async (sink: (chunk: Uint8Array) => Promise<void>) => {
      const buf = new Uint8Array(1 << 16);
      while (left > 0) {
        const n = await file.read(buf.subarray(0, Math.min(buf.length, left)));
        if (n === null) truncated();
        await sink(buf.subarray(0, n));
        left -= n;
      }
    };
    const entry: TarEntry = {
      name,
      size,
      async saveTo(dest) {
        using out = await Deno.open(dest, { write: true, createNew: true, mode: 0o600 });
        await copy((c) => writeAll(out, c));
      },
      async bytes() {
        const out = new Uint8Array(size);
        let at = 0;
        await copy((c) => {
          out.set(c, at);
          at += c.length;
          return Promise.resolve();
        });
        return out;
      },
    };
    if (type === "0") await onEntry(entry);
    await copy(() => Promise.resolve());
    const pad = (BLOCK - (size % BLOCK)) % BLOCK;
    if (pad > 0 && !await readFull(file, new Uint8Array(pad))) truncated();
  }
}
