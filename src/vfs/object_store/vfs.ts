/**
 * A file system over an object store, written once for S3, Azure Blob and GCS (rclone's
 * `lib/bucket` idea): each backend gives the small {@linkcode ObjectStore} surface, this gives
 * the VFS contract.
 *
 * Object stores have no folders: a folder is a key prefix. `mkdir` writes a zero-byte `dir/`
 * marker so that empty folders show in listings (as the S3 console does); a folder exists while
 * its marker or any key under it does, and its time is its marker's. A file wins over a folder
 * of the same name (`a` and `a/b` both stored). `rename` is copy then delete (for a folder:
 * every key under its prefix, all copied before any is deleted, so a failure half-way leaves
 * the source whole). The VFS root is a key prefix of the bucket (`""` or ending with `/`).
 *
 * @module
 */

import {
  DEFAULT_TRANSFER,
  markedCheck,
  markedSize,
  partsInParallel,
  type TransferOptions,
} from "./ranged.ts";
import { basename, dirname, normalizePath } from "../path.ts";
import { VfsError } from "../types.ts";
import type { FileInfo, ReadOptions, Vfs, VfsFeatures, WriteOptions } from "../types.ts";
import type { ObjectMeta, ObjectStore } from "./store.ts";
import { emptyStream, guardStream, parallel, sinkStream } from "./streams.ts";

/** What the object stores can do beyond the core contract (the same for S3, Azure and GCS). */
export const OBJECT_STORE_FEATURES: VfsFeatures = {
  setTimes: false,
  chmod: false,
  truncate: false,
  serverSideCopy: true,
  realDirs: false,
  symlinks: false,
  hashes: [],
  rangedRead: true,
  append: false,
  atomicWrite: true,
};

/** Requests run at once for folder renames, removals and `mkdir -p`. */
const PARALLEL = 8;

/** An entry of a listing or a stat (stores keep no mode; an unknown time is the epoch). */
function entry(p: string, isDir: boolean, size = 0, modTime?: Date): FileInfo {
  return { name: basename(p), path: p, size, modTime: modTime ?? new Date(0), isDir, mode: 0 };
}

function notFound(p: string, what = "file or folder"): VfsError {
  return new VfsError("NOT_FOUND", `No such ${what}: "${p}"`, { path: p });
}

function isDirError(p: string): VfsError {
  return new VfsError("IS_DIR", `Is a folder: "${p}"`, { path: p });
}

function notDirError(p: string): VfsError {
  return new VfsError("NOT_DIR", `Not a folder: "${p}"`, { path: p });
}

function notEmpty(p: string): VfsError {
  return new VfsError("NOT_EMPTY", `Folder is not empty: "${p}"`, { path: p });
}

/** A bucket (or a prefix of one) of an object store as a file system. */
export class ObjectStoreVfs implements Vfs {
  readonly type: string;
  readonly features = OBJECT_STORE_FEATURES;
  readonly #store: ObjectStore;
  /** Key prefix of the VFS root: `""` or ending with `/`. */
  readonly prefix: string;

  readonly #transfer: TransferOptions;

  constructor(
    type: string,
    store: ObjectStore,
    prefix = "",
    transfer: TransferOptions = DEFAULT_TRANSFER,
  ) {
    this.type = type;
    this.#store = store;
    this.#transfer = transfer;
    this.prefix = prefix && !prefix.endsWith("/") ? prefix + "/" : prefix;
  }

  /**
   * Checks that the bucket answers with these credentials (one cheap listing). NOT_FOUND here
   * means the bucket itself is missing, which is said by name.
   */
  async connect(): Promise<void> {
    try {
      await this.#store.list({ prefix: this.prefix, max: 1 });
    } catch (err) {
      const mapped = this.#store.mapError(err);
      throw mapped.code === "NOT_FOUND"
        ? new VfsError("NOT_FOUND", `${this.#store.label} does not exist`, { cause: err })
        : mapped;
    }
  }

  #key(p: string): string {
    return this.prefix + p.slice(1);
  }

  /** The prefix of a folder's contents (and its marker key). */
  #dirKey(p: string): string {
    return p === "/" ? this.prefix : this.#key(p) + "/";
  }

  #path(key: string): string {
    return "/" + key.slice(this.prefix.length);
  }

  async #run<T>(p: string, fn: () => Promise<T>): Promise<T> {
    try {
      return await fn();
    } catch (err) {
      throw this.#store.mapError(err, p);
    }
  }

  async #head(p: string): Promise<FileInfo | undefined> {
    try {
      const o = await this.#store.head(this.#key(p));
      return entry(p, false, o.size, o.modTime);
    } catch (err) {
      if (this.#store.isMissing(err)) return undefined;
      throw err;
    }
  }

  /** Deletes one object; one that is gone already is what was asked. */
  async #delete(key: string): Promise<void> {
    try {
      await this.#store.delete(key);
    } catch (err) {
      if (!this.#store.isMissing(err)) throw err;
    }
  }

  /** Up to `max` keys under a prefix. */
  async #some(prefix: string, max: number): Promise<ObjectMeta[]> {
    return (await this.#store.list({ prefix, max })).objects;
  }

  /** Every key under a prefix, page by page. */
  async *#all(prefix: string): AsyncGenerator<ObjectMeta[]> {
    let token: string | undefined;
    do {
      const page = await this.#store.list({ prefix, token });
      yield page.objects;
      token = page.next;
    } while (token);
  }

  /** The folder at `p` when any key (its marker included) lives under it. */
  async #dir(p: string): Promise<FileInfo | undefined> {
    if (p === "/") return entry("/", true);
    const first = (await this.#some(this.#dirKey(p), 1))[0];
    if (!first) return undefined;
    // The marker sorts first among the keys of its prefix: its time is the folder's.
    return entry(p, true, 0, first.key === this.#dirKey(p) ? first.modTime : undefined);
  }

  /** File or folder at `p`, or undefined. A file wins over a folder of the same name. */
  async #probe(p: string): Promise<FileInfo | undefined> {
    if (p === "/") return entry("/", true);
    const [file, dir] = await Promise.allSettled([this.#head(p), this.#dir(p)]);
    if (file.status === "rejected") throw file.reason;
    if (file.value) return file.value;
    if (dir.status === "rejected") throw dir.reason;
    return dir.value;
  }

  /** Throws unless `p` is an existing folder. */
  async #requireDir(p: string): Promise<void> {
    if (p === "/") return;
    if (await this.#dir(p)) return;
    if (await this.#head(p)) throw notDirError(p);
    throw notFound(p, "folder");
  }

  /** Throws unless `p` is a path a new file may take: its parent a folder, itself not one. */
  async #requireFileSlot(p: string): Promise<void> {
    if (p === "/") throw isDirError(p);
    const [, self] = await Promise.all([this.#requireDir(dirname(p)), this.#dir(p)]);
    if (self) throw isDirError(p);
  }

  /** The first keys under a folder's prefix, enough to tell missing, empty and not empty. */
  async #peek(prefix: string): Promise<{ any: boolean; empty: boolean }> {
    const first = await this.#some(prefix, 2);
    return { any: first.length > 0, empty: first.every((o) => o.key === prefix) };
  }

  async #deleteKeys(keys: string[]): Promise<void> {
    if (this.#store.deleteMany) {
      const failed = await this.#store.deleteMany(keys);
      if (failed) throw this.#store.mapError(failed.error, this.#path(failed.key));
      return;
    }
    await parallel(keys, PARALLEL, async (key) => {
      try {
        await this.#delete(key);
      } catch (err) {
        throw this.#store.mapError(err, this.#path(key));
      }
    });
  }

  async stat(path: string): Promise<FileInfo> {
    const p = normalizePath(path);
    return await this.#run(p, async () => {
      const info = await this.#probe(p);
      if (!info) throw notFound(p);
      return info;
    });
  }

  lstat(path: string): Promise<FileInfo> {
    return this.stat(path);
  }

  async list(path: string): Promise<FileInfo[]> {
    const p = normalizePath(path);
    return await this.#run(p, async () => {
      const prefix = this.#dirKey(p);
      const child = (name: string) => p === "/" ? `/${name}` : `${p}/${name}`;
      // By name: a file wins over a folder of the same name, and a prefix a server repeats on
      // every page shows once.
      const out = new Map<string, FileInfo>();
      let any = false;
      let token: string | undefined;
      do {
        const page = await this.#store.list({ prefix, delimited: true, token });
        for (const o of page.objects) {
          any = true;
          const name = o.key.slice(prefix.length);
          if (name) out.set(name, entry(child(name), false, o.size, o.modTime)); // "": the marker
        }
        for (const d of page.prefixes) {
          any = true;
          const name = d.slice(prefix.length, -1);
          if (name && !out.has(name)) out.set(name, entry(child(name), true));
        }
        token = page.next;
      } while (token);
      if (!any && p !== "/") {
        if (await this.#head(p)) throw notDirError(p);
        throw notFound(p, "folder");
      }
      return [...out.values()];
    });
  }

  async openRead(path: string, opts: ReadOptions = {}): Promise<ReadableStream<Uint8Array>> {
    const p = normalizePath(path);
    return await this.#run(p, async () => {
      if (p === "/") throw isDirError(p);
      const missing = async () => (await this.#dir(p)) ? isDirError(p) : notFound(p, "file");
      const offset = Math.max(0, opts.offset ?? 0);
      const length = opts.length;
      let body: ReadableStream<Uint8Array> | undefined;
      if (length === undefined || length > 0) {
        try {
          const { partSize, concurrency } = this.#transfer;
          const part = concurrency > 1 ? { part: partSize } : {};
          body = await this.#store.read(this.#key(p), { offset, length, ...part });
        } catch (err) {
          if (this.#store.isMissing(err)) throw await missing();
          if (!this.#store.isPastEnd(err)) throw err;
        }
      }
      if (body) body = this.#inParts(p, body, offset, length);
      if (!body) {
        // Nothing to read, if the file is there.
        if (!(await this.#head(p))) throw await missing();
        return emptyStream();
      }
      return guardStream(body, (err) => this.#store.mapError(err, p));
    });
  }

  /**
   * A large object's read as parallel ranged parts, when the store said its size: the first
   * answer is used for the first part only, the rest come `concurrency` parts at a time.
   */
  #inParts(
    p: string,
    body: ReadableStream<Uint8Array>,
    offset: number,
    length: number | undefined,
  ): ReadableStream<Uint8Array> {
    const total = markedSize(body);
    const { partSize, concurrency } = this.#transfer;
    if (total === undefined || concurrency < 2) return body;
    const end = length === undefined ? total : Math.min(total, offset + length);
    if (end - offset <= partSize) return body;
    const key = this.#key(p);
    const read = (at: number, n: number) => this.#store.read(key, { offset: at, length: n });
    const check = offset === 0 && end === total ? markedCheck(body)?.() : undefined;
    return partsInParallel(body, read, offset, end, this.#transfer, check);
  }

  async openWrite(path: string, opts: WriteOptions = {}): Promise<WritableStream<Uint8Array>> {
    const p = normalizePath(path);
    return await this.#run(p, async () => {
      if (opts.append) {
        throw new VfsError("NOT_SUPPORTED", `${this.#store.objects} cannot be appended to`, {
          path: p,
        });
      }
      if (!opts.targetChecked) await this.#requireFileSlot(p);
      const sink = await this.#store.openWrite(this.#key(p), opts.size);
      return sinkStream(sink, (err) => this.#store.mapError(err, p), { ...opts, path: p });
    });
  }

  #putMarker(p: string): Promise<void> {
    return this.#store.put(this.#dirKey(p), new Uint8Array(0));
  }

  async mkdir(path: string, opts: { recursive?: boolean } = {}): Promise<void> {
    const p = normalizePath(path);
    await this.#run(p, async () => {
      const exists = await this.#probe(p);
      if (exists) {
        if (exists.isDir && opts.recursive) return;
        throw new VfsError(
          exists.isDir || !opts.recursive ? "ALREADY_EXISTS" : "NOT_DIR",
          `Already exists: "${p}"`,
          { path: p },
        );
      }
      if (!opts.recursive) {
        await this.#requireDir(dirname(p));
        await this.#putMarker(p);
        return;
      }
      // Markers for the missing ancestors too, so each stays when a deeper one is removed.
      const missing = [p];
      for (let d = dirname(p); d !== "/"; d = dirname(d)) {
        const info = await this.#probe(d);
        if (info?.isDir) break;
        if (info) throw notDirError(d);
        missing.push(d);
      }
      await parallel(missing, PARALLEL, (d) => this.#putMarker(d));
    });
  }

  async remove(path: string, opts: { recursive?: boolean } = {}): Promise<void> {
    const p = normalizePath(path);
    await this.#run(p, async () => {
      if (p === "/") {
        throw new VfsError("PERMISSION_DENIED", "Cannot remove the root", { path: p });
      }
      if (await this.#head(p)) {
        await this.#delete(this.#key(p));
        return;
      }
      const prefix = this.#dirKey(p);
      const peek = await this.#peek(prefix);
      if (!peek.any) throw notFound(p);
      if (!opts.recursive && !peek.empty) throw notEmpty(p);
      for await (const page of this.#all(prefix)) {
        await this.#deleteKeys(page.map((o) => o.key));
      }
    });
  }

  async rename(from: string, to: string): Promise<void> {
    const a = normalizePath(from);
    const b = normalizePath(to);
    await this.#run(a, async () => {
      if (a === "/") throw new VfsError("PERMISSION_DENIED", "Cannot move the root", { path: a });
      const src = await this.#probe(a);
      if (!src) throw notFound(a);
      if (a === b) return;
      if (b === "/" || b.startsWith(a + "/")) {
        throw new VfsError("INVALID_PATH", `Cannot move "${a}" into itself`, { path: b });
      }
      await this.#requireDir(dirname(b));
      const dst = await this.#probe(b);
      if (!src.isDir) {
        if (dst?.isDir) throw isDirError(b);
        await this.#store.copy(this.#key(a), this.#key(b), src.size);
        await this.#delete(this.#key(a));
        return;
      }
      if (dst && !dst.isDir) throw notDirError(b);
      const fromPrefix = this.#dirKey(a);
      const toPrefix = this.#dirKey(b);
      if (dst && !(await this.#peek(toPrefix)).empty) throw notEmpty(b);
      // Copy everything first, then delete: a failure half-way leaves the source whole.
      const moved: string[] = [];
      for await (const page of this.#all(fromPrefix)) {
        await parallel(page, PARALLEL, async (o) => {
          await this.#store.copy(o.key, toPrefix + o.key.slice(fromPrefix.length), o.size);
        });
        moved.push(...page.map((o) => o.key));
      }
      await this.#deleteKeys(moved);
    });
  }

  async copy(from: string, to: string): Promise<void> {
    const a = normalizePath(from);
    const b = normalizePath(to);
    await this.#run(a, async () => {
      const src = await this.#probe(a);
      if (!src) throw notFound(a, "file");
      if (src.isDir) throw isDirError(a);
      if (a === b) return;
      await this.#requireFileSlot(b);
      await this.#store.copy(this.#key(a), this.#key(b), src.size);
    });
  }

  close(): Promise<void> {
    this.#store.close?.();
    return Promise.resolve();
  }
}
