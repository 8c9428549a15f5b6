/**
 * `engine.vfs.files`: the files behind a VFS Library entry, for the console's file browser
 * and the REST API: list a folder, download and upload a file (streamed both ways, never held
 * whole in memory), make a folder, rename, delete. Each call opens the entry through the VFS
 * registry, as a job would (its secrets, `localRoots`), and closes it when done.
 *
 * An upload is written under a temporary name beside its target and renamed into place only
 * once every byte announced has arrived, so an interrupted upload (a closed page, a dropped
 * connection) leaves no partial file under the target's name; the temporary file is removed.
 * Listings leave out aft's temporary files.
 *
 * @module
 */

import { basename, dirname, joinPath, normalizePath } from "../vfs/path.ts";
import { isTempName, tempName } from "../vfs/temp_name.ts";
import { type FileInfo, isVfsError, type Vfs, type VfsError } from "../vfs/types.ts";
import { EngineError, guarded } from "./errors.ts";
import type { EngineCore } from "./types.ts";
import { describeFailure } from "./vfs_library.ts";

/** A file or folder as shown. */
export interface VfsFileEntry {
  name: string;
  /** Full path inside the VFS (`/a/b.csv`). */
  path: string;
  /** Bytes; 0 for folders. */
  size: number;
  /** Last modification, ISO. */
  modTime: string;
  isDir: boolean;
}

export interface VfsFileOps {
  /** The folder's entries, folders first, then by name; FILE_NOT_FOUND, INVALID_REQUEST. */
  list(vfs: string, path: string): Promise<{ path: string; entries: VfsFileEntry[] }>;
  /** The file and a stream of its bytes (the VFS is closed once the stream ends or is cancelled). */
  download(vfs: string, path: string): Promise<
    { file: VfsFileEntry; body: ReadableStream<Uint8Array> }
  >;
  /**
   * Writes `body` to `path` (its folder must exist): ALREADY_EXISTS unless `overwrite`;
   * INVALID_REQUEST, and no file, when the stream ends before `size` bytes (when given) or
   * fails.
   */
  upload(
    vfs: string,
    path: string,
    body: ReadableStream<Uint8Array>,
    opts?: { overwrite?: boolean; size?: number },
  ): Promise<VfsFileEntry>;
  /**
   * Which of `names` the folder `dir` already has (files or folders), asked over one
   * connection: the upload form's "replace?" question for names on other pages of a folder.
   */
  existing(vfs: string, dir: string, names: string[]): Promise<string[]>;
  /** Makes a folder (its parent must exist); ALREADY_EXISTS when something has that name. */
  mkdir(vfs: string, path: string): Promise<VfsFileEntry>;
  /** Renames or moves; ALREADY_EXISTS when `to` exists (nothing is replaced). */
  rename(vfs: string, from: string, to: string): Promise<VfsFileEntry>;
  /** Deletes a file, or a folder with everything in it; the root cannot be deleted. */
  remove(vfs: string, path: string): Promise<void>;
}

/** A VFS failure as an operation's error, naming the entry. */
function fromVfsError(vfs: string, err: unknown): unknown {
  if (err instanceof EngineError || !isVfsError(err)) return err;
  const e = err as VfsError;
  const msg = `VFS "${vfs}": ${e.message}`;
  switch (e.code) {
    case "NOT_FOUND":
      return new EngineError("FILE_NOT_FOUND", msg, { cause: err });
    case "ALREADY_EXISTS":
      return new EngineError("ALREADY_EXISTS", msg, { cause: err });
    case "NOT_EMPTY":
      return new EngineError("FOLDER_NOT_EMPTY", msg, { cause: err });
    case "INVALID_PATH":
    case "NOT_DIR":
    case "IS_DIR":
      return new EngineError("INVALID_REQUEST", msg, { cause: err });
    case "PERMISSION_DENIED":
      return new EngineError("PATH_NOT_ALLOWED", msg, { cause: err });
    default:
      return new EngineError("VFS_FAILED", `VFS "${vfs}" failed: ${describeFailure(err)}`, {
        cause: err,
      });
  }
}

function entry(f: FileInfo): VfsFileEntry {
  return {
    name: f.name,
    path: f.path,
    size: f.isDir ? 0 : f.size,
    modTime: f.modTime.toISOString(),
    isDir: f.isDir,
  };
}

/**
 * `path` normalized, refused with INVALID_REQUEST when it is not a usable path. A name being
 * made (`creating`: the path's last name) may not hold control characters; an existing one
 * that does, a folder's included, can still be read, renamed and deleted, and hold new files.
 */
function checkPath(path: string, what = "path", creating = false): string {
  if (typeof path !== "string" || path === "") {
    throw new EngineError("INVALID_REQUEST", `Give the ${what}`);
  }
  let p: string;
  try {
    p = normalizePath(path.startsWith("/") ? path : `/${path}`);
  } catch (err) {
    throw new EngineError("INVALID_REQUEST", (err as Error).message, { cause: err });
  }
  // deno-lint-ignore no-control-regex
  if (creating && /[\u0000-\u001f\u007f]/.test(basename(p))) {
    throw new EngineError("INVALID_REQUEST", `The ${what} cannot hold control characters`);
  }
  return p;
}

/** A path that names something below the root (not the root itself). */
function checkItem(path: string, what = "path", creating = false): string {
  const p = checkPath(path, what, creating);
  if (p === "/") throw new EngineError("INVALID_REQUEST", `The ${what} cannot be the root`);
  return p;
}

/** Counts the bytes that pass. */
function counter(): { stream: TransformStream<Uint8Array, Uint8Array>; bytes(): number } {
  let n = 0;
  return {
    stream: new TransformStream({
      transform(chunk, ctrl) {
        n += chunk.byteLength;
        ctrl.enqueue(chunk);
      },
    }),
    bytes: () => n,
  };
}

/** The file operations over `core`. */
export function createVfsFileOps(core: EngineCore): VfsFileOps {
  /** Opens the entry `name`; VFS_NOT_FOUND, or VFS_FAILED when it does not connect. */
  async function open(name: string): Promise<Vfs> {
    const def = await core.vfs.get(name);
    if (!def) throw new EngineError("VFS_NOT_FOUND", `No VFS named "${name}"`);
    const settings = await core.settings();
    const { openVfs } = await import("../vfs/registry.ts");
    try {
      return await openVfs(def, {
        getSecret: (n) => core.secrets.get(n),
        localRoots: settings.localRoots,
        recordHostKey: async (fp) => {
          await core.vfs.pinHostKey(def.name, fp);
        },
      });
    } catch (err) {
      throw fromVfsError(name, err);
    }
  }

  /** Runs `fn` on the open entry, closing it after and translating its failures. */
  async function using<T>(name: string, fn: (v: Vfs) => Promise<T>): Promise<T> {
    const v = await open(name);
    try {
      return await fn(v);
    } catch (err) {
      throw fromVfsError(name, err);
    } finally {
      await v.close().catch(() => {});
    }
  }

  const exists = async (v: Vfs, path: string) => {
    try {
      return await v.stat(path);
    } catch (err) {
      if (isVfsError(err, "NOT_FOUND")) return undefined;
      throw err;
    }
  };

  return guarded({
    list: (vfs: string, path: string) =>
      using(vfs, async (v) => {
        const p = checkPath(path);
        const entries = (await v.list(p))
          .filter((f) => !isTempName(f.name))
          .map(entry)
          .sort((a, b) =>
            a.isDir !== b.isDir
              ? (a.isDir ? -1 : 1)
              : a.name < b.name
              ? -1
              : a.name > b.name
              ? 1
              : 0
          );
        return { path: p, entries };
      }),

    existing: (vfs: string, dir: string, names: string[]) =>
      using(vfs, async (v) => {
        const d = checkPath(dir);
        const out: string[] = [];
        for (const name of names) {
          const p = checkItem(d.endsWith("/") ? `${d}${name}` : `${d}/${name}`);
          if (await exists(v, p)) out.push(name);
        }
        return out;
      }),

    async download(vfs: string, path: string) {
      const p = checkItem(path);
      const v = await open(vfs);
      try {
        const info = await v.stat(p);
        if (info.isDir) {
          throw new EngineError(
            "INVALID_REQUEST",
            `"${p}" is a folder: only files can be downloaded`,
          );
        }
        const reader = (await v.openRead(p)).getReader();
        const close = () => v.close().catch(() => {});
        const body = new ReadableStream<Uint8Array>({
          async pull(ctrl) {
            try {
              const { done, value } = await reader.read();
              if (done) {
                ctrl.close();
                await close();
              } else ctrl.enqueue(value);
            } catch (err) {
              ctrl.error(err);
              await close();
            }
          },
          async cancel(reason) {
            await reader.cancel(reason).catch(() => {});
            await close();
          },
        });
        return { file: entry(info), body };
      } catch (err) {
        await v.close().catch(() => {});
        throw fromVfsError(vfs, err);
      }
    },

    upload: (
      vfs: string,
      path: string,
      body: ReadableStream<Uint8Array>,
      opts: { overwrite?: boolean; size?: number } = {},
    ) =>
      using(vfs, async (v) => {
        const p = checkItem(path, "path", true);
        const name = basename(p);
        if (isTempName(name)) {
          throw new EngineError(
            "INVALID_REQUEST",
            `"${name}" is a name aft keeps for its temporary files`,
          );
        }
        const folder = await exists(v, dirname(p));
        if (!folder?.isDir) {
          throw new EngineError("FILE_NOT_FOUND", `VFS "${vfs}": no folder "${dirname(p)}"`);
        }
        const there = await exists(v, p);
        if (there?.isDir) throw new EngineError("INVALID_REQUEST", `"${p}" is a folder`);
        if (there && !opts.overwrite) {
          throw new EngineError("ALREADY_EXISTS", `VFS "${vfs}": "${p}" already exists`);
        }
        const tmp = joinPath(dirname(p), tempName(name));
        const count = counter();
        try {
          await body.pipeThrough(count.stream).pipeTo(await v.openWrite(tmp));
          if (opts.size !== undefined && count.bytes() !== opts.size) {
            throw new EngineError(
              "INVALID_REQUEST",
              `The upload of "${name}" ended after ${count.bytes()} of ${opts.size} bytes: nothing was stored`,
            );
          }
          await v.rename(tmp, p);
        } catch (err) {
          await v.remove(tmp).catch(() => {});
          if (err instanceof EngineError || isVfsError(err)) throw err;
          throw new EngineError(
            "INVALID_REQUEST",
            `The upload of "${name}" was interrupted: nothing was stored`,
            { cause: err },
          );
        }
        return entry(await v.stat(p));
      }),

    mkdir: (vfs: string, path: string) =>
      using(vfs, async (v) => {
        const p = checkItem(path, "path", true);
        if (await exists(v, p)) {
          throw new EngineError("ALREADY_EXISTS", `VFS "${vfs}": "${p}" already exists`);
        }
        await v.mkdir(p);
        return entry(await v.stat(p));
      }),

    rename: (vfs: string, from: string, to: string) =>
      using(vfs, async (v) => {
        const a = checkItem(from);
        const b = checkItem(to, "new name", true);
        if (a === b) return entry(await v.stat(a));
        if (b.startsWith(`${a}/`)) {
          throw new EngineError("INVALID_REQUEST", `Cannot move "${a}" into itself`);
        }
        await v.stat(a);
        if (await exists(v, b)) {
          throw new EngineError("ALREADY_EXISTS", `VFS "${vfs}": "${b}" already exists`);
        }
        await v.rename(a, b);
        return entry(await v.stat(b));
      }),

    remove: (vfs: string, path: string) =>
      using(vfs, async (v) => {
        const p = checkItem(path);
        const info = await v.stat(p);
        await v.remove(p, { recursive: info.isDir });
      }),
  });
}
