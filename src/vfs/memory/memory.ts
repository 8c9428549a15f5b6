/**
 * The `memory` backend: a reference implementation of the whole contract, fast, for tests and
 * scratch space. Entries are kept in one map keyed by path.
 *
 * @example
 * ```ts
 * const vfs = new MemoryVfs();
 * await vfs.mkdir("/in");
 * ```
 * @module
 */

import { basename, dirname, normalizePath } from "../path.ts";
import {
  type FileInfo,
  type HashAlgorithm,
  type ReadOptions,
  type Vfs,
  VfsError,
  type VfsFeatures,
  type WriteOptions,
} from "../types.ts";

interface Node {
  dir: boolean;
  data: Uint8Array;
  size: number;
  modTime: Date;
  mode: number;
}

const FEATURES: VfsFeatures = {
  setTimes: true,
  chmod: true,
  truncate: true,
  serverSideCopy: true,
  realDirs: true,
  symlinks: false,
  hashes: ["sha256"],
  rangedRead: true,
  append: true,
  multiplexed: true,
};

/** An in-memory file system. Several MemoryVfs may share one tree (`shareWith`). */
export class MemoryVfs implements Vfs {
  readonly type = "memory";
  readonly features = FEATURES;
  #nodes: Map<string, Node>;

  constructor(shareWith?: MemoryVfs) {
    this.#nodes = shareWith ? shareWith.#nodes : new Map([["/", dirNode()]]);
  }

  #node(path: string): Node {
    const n = this.#nodes.get(path);
    if (!n) throw new VfsError("NOT_FOUND", `No such file or folder: "${path}"`, { path });
    return n;
  }

  #parentDir(path: string): void {
    const parent = this.#nodes.get(dirname(path));
    if (!parent) throw new VfsError("NOT_FOUND", `No such folder: "${dirname(path)}"`, { path });
    if (!parent.dir) throw new VfsError("NOT_DIR", `Not a folder: "${dirname(path)}"`, { path });
  }

  #info(path: string, n: Node): FileInfo {
    return {
      name: basename(path),
      path,
      size: n.dir ? 0 : n.size,
      modTime: n.modTime,
      isDir: n.dir,
      mode: n.mode,
    };
  }

  stat(path: string): Promise<FileInfo> {
    return attempt(() => {
      const p = normalizePath(path);
      return (this.#info(p, this.#node(p)));
    });
  }

  lstat(path: string): Promise<FileInfo> {
    return this.stat(path);
  }

  list(path: string): Promise<FileInfo[]> {
    return attempt(() => {
      const p = normalizePath(path);
      if (!this.#node(p).dir) throw new VfsError("NOT_DIR", `Not a folder: "${p}"`, { path: p });
      const prefix = p === "/" ? "/" : p + "/";
      const out: FileInfo[] = [];
      for (const [k, n] of this.#nodes) {
        if (k !== p && k.startsWith(prefix) && !k.slice(prefix.length).includes("/")) {
          out.push(this.#info(k, n));
        }
      }
      return out;
    });
  }

  openRead(path: string, opts: ReadOptions = {}): Promise<ReadableStream<Uint8Array>> {
    return attempt(() => {
      const p = normalizePath(path);
      const n = this.#node(p);
      if (n.dir) throw new VfsError("IS_DIR", `Is a folder: "${p}"`, { path: p });
      const start = Math.min(opts.offset ?? 0, n.size);
      const end = opts.length === undefined ? n.size : Math.min(n.size, start + opts.length);
      const data = n.data.slice(start, end);
      const CHUNK = 256 * 1024;
      let at = 0;
      return (
        new ReadableStream<Uint8Array>({
          pull(c) {
            if (at >= data.length) return c.close();
            c.enqueue(data.slice(at, at + CHUNK));
            at += CHUNK;
          },
        }, { highWaterMark: 0 })
      );
    });
  }

  openWrite(path: string, opts: WriteOptions = {}): Promise<WritableStream<Uint8Array>> {
    return attempt(() => {
      const p = normalizePath(path);
      if (p === "/") throw new VfsError("IS_DIR", `Is a folder: "/"`, { path: p });
      this.#parentDir(p);
      const existing = this.#nodes.get(p);
      if (existing?.dir) throw new VfsError("IS_DIR", `Is a folder: "${p}"`, { path: p });
      const node: Node = existing && opts.append ? existing : fileNode();
      if (!opts.append || !existing) node.size = 0;
      this.#nodes.set(p, node);
      return (
        new WritableStream<Uint8Array>({
          write(chunk) {
            if (node.size + chunk.length > node.data.length) {
              const grown = new Uint8Array(
                Math.max(node.size + chunk.length, node.data.length * 2, 1024),
              );
              grown.set(node.data.subarray(0, node.size));
              node.data = grown;
            }
            node.data.set(chunk, node.size);
            node.size += chunk.length;
            node.modTime = new Date();
          },
        })
      );
    });
  }

  readWhole(path: string, maxBytes: number): Promise<Uint8Array | undefined> {
    return attempt(() => {
      const p = normalizePath(path);
      const n = this.#node(p);
      if (n.dir) throw new VfsError("IS_DIR", `Is a folder: "${p}"`, { path: p });
      return n.size > maxBytes ? undefined : n.data.slice(0, n.size);
    });
  }

  async writeWhole(path: string, data: Uint8Array): Promise<number> {
    const w = (await this.openWrite(path)).getWriter();
    await w.write(data);
    await w.close();
    return (await this.stat(path)).size;
  }

  mkdir(path: string, opts: { recursive?: boolean } = {}): Promise<void> {
    return attempt(() => {
      const p = normalizePath(path);
      const existing = this.#nodes.get(p);
      if (existing) {
        if (opts.recursive && existing.dir) return;
        throw new VfsError(existing.dir ? "ALREADY_EXISTS" : "NOT_DIR", `Already exists: "${p}"`, {
          path: p,
        });
      }
      if (opts.recursive) this.#mkdirAll(dirname(p));
      this.#parentDir(p);
      this.#nodes.set(p, dirNode());
    });
  }

  #mkdirAll(p: string): void {
    const n = this.#nodes.get(p);
    if (n?.dir) return;
    if (n) throw new VfsError("NOT_DIR", `Not a folder: "${p}"`, { path: p });
    this.#mkdirAll(dirname(p));
    this.#nodes.set(p, dirNode());
  }

  remove(path: string, opts: { recursive?: boolean } = {}): Promise<void> {
    return attempt(() => {
      const p = normalizePath(path);
      if (p === "/") throw new VfsError("PERMISSION_DENIED", "Cannot remove the root", { path: p });
      const n = this.#node(p);
      const children = [...this.#nodes.keys()].filter((k) => k.startsWith(p + "/"));
      if (n.dir && children.length > 0 && !opts.recursive) {
        throw new VfsError("NOT_EMPTY", `Folder is not empty: "${p}"`, { path: p });
      }
      for (const k of children) this.#nodes.delete(k);
      this.#nodes.delete(p);
      return;
    });
  }

  rename(from: string, to: string): Promise<void> {
    return attempt(() => {
      const a = normalizePath(from);
      const b = normalizePath(to);
      const n = this.#node(a);
      if (a === b) return;
      if (b.startsWith(a + "/")) {
        throw new VfsError("INVALID_PATH", `Cannot move "${a}" into itself`, { path: b });
      }
      this.#parentDir(b);
      const target = this.#nodes.get(b);
      if (target?.dir) {
        if (!n.dir) throw new VfsError("IS_DIR", `Is a folder: "${b}"`, { path: b });
        if ([...this.#nodes.keys()].some((k) => k.startsWith(b + "/"))) {
          throw new VfsError("NOT_EMPTY", `Folder is not empty: "${b}"`, { path: b });
        }
      } else if (target && n.dir) {
        throw new VfsError("NOT_DIR", `Not a folder: "${b}"`, { path: b });
      }
      const moved = [...this.#nodes].filter(([k]) => k === a || k.startsWith(a + "/"));
      for (const [k] of moved) this.#nodes.delete(k);
      for (const [k, v] of moved) this.#nodes.set(b + k.slice(a.length), v);
      return;
    });
  }

  setTimes(path: string, _atime: Date, mtime: Date): Promise<void> {
    return attempt(() => {
      this.#node(normalizePath(path)).modTime = new Date(mtime);
      return;
    });
  }

  chmod(path: string, mode: number): Promise<void> {
    return attempt(() => {
      this.#node(normalizePath(path)).mode = mode & 0o7777;
      return;
    });
  }

  truncate(path: string, size: number): Promise<void> {
    return attempt(() => {
      const p = normalizePath(path);
      const n = this.#node(p);
      if (n.dir) throw new VfsError("IS_DIR", `Is a folder: "${p}"`, { path: p });
      if (size > n.data.length) {
        const grown = new Uint8Array(size);
        grown.set(n.data.subarray(0, n.size));
        n.data = grown;
      } else if (size > n.size) {
        n.data.fill(0, n.size, size);
      }
      n.size = size;
      n.modTime = new Date();
      return;
    });
  }

  copy(from: string, to: string): Promise<void> {
    return attempt(() => {
      const a = normalizePath(from);
      const b = normalizePath(to);
      const n = this.#node(a);
      if (n.dir) throw new VfsError("IS_DIR", `Is a folder: "${a}"`, { path: a });
      this.#parentDir(b);
      if (this.#nodes.get(b)?.dir) throw new VfsError("IS_DIR", `Is a folder: "${b}"`, { path: b });
      this.#nodes.set(b, {
        dir: false,
        data: n.data.slice(0, n.size),
        size: n.size,
        modTime: new Date(),
        mode: n.mode,
      });
      return;
    });
  }

  async hash(path: string, algorithm: HashAlgorithm): Promise<string> {
    if (algorithm !== "sha256") {
      throw new VfsError("NOT_SUPPORTED", `Hash ${algorithm} is not supported`);
    }
    const p = normalizePath(path);
    const n = this.#node(p);
    if (n.dir) throw new VfsError("IS_DIR", `Is a folder: "${p}"`, { path: p });
    const digest = await crypto.subtle.digest("SHA-256", n.data.slice(0, n.size));
    return [...new Uint8Array(digest)].map((b) => b.toString(16).padStart(2, "0")).join("");
  }

  close(): Promise<void> {
    return Promise.resolve();
  }
}

/** Runs a synchronous body, turning a throw into a rejected promise. */
function attempt<T>(fn: () => T): Promise<T> {
  try {
    return Promise.resolve(fn());
  } catch (err) {
    return Promise.reject(err);
  }
}

function dirNode(): Node {
  return { dir: true, data: new Uint8Array(0), size: 0, modTime: new Date(), mode: 0o755 };
}

function fileNode(): Node {
  return { dir: false, data: new Uint8Array(0), size: 0, modTime: new Date(), mode: 0o644 };
}
