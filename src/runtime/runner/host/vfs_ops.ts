/**
 * The `VirtualFS` methods, one function each, over the VFS contract and the copy engine.
 *
 * @module
 */

import type { FileInfo, Vfs } from "../../../vfs/types.ts";
import { isVfsError, VfsError } from "../../../vfs/types.ts";
import { basename, dirname, joinPath, normalizePath } from "../../../vfs/path.ts";
import { matchGlob } from "../../../vfs/glob.ts";
import { walk } from "../../../vfs/walk.ts";
import { copyToVfs, type OverwritePolicy } from "../../../vfs/copy.ts";
import { tempName } from "../../../vfs/temp_name.ts";
import { tempBeside } from "./local_temp.ts";
import { checkRegularFile, localError } from "./local_file.ts";
import type { ResultData } from "../../protocol/calls.ts";
import { type HostContext, ScriptCallError } from "./context.ts";
import { scriptInfo, type VfsHandles } from "./vfs.ts";
import { checkLocalPath } from "../../../vfs/local_roots.ts";
import { joinBytes } from "../../../bytes.ts";

/** Largest file ReadFileAsText/Bytes returns whole; bigger files go through CopyToVFS. */
export const MAX_READ_BYTES = 256 * 1024 * 1024;

interface OpEnv {
  ctx: HostContext;
  handles: VfsHandles;
  vfs: Vfs;
}
type Op = (env: OpEnv, args: unknown[]) => Promise<ResultData>;

const OK: ResultData = { ok: true };
const OVERWRITE: OverwritePolicy[] = ["never", "always", "ifDiffSize", "ifNewer"];

const NTH = ["first", "second", "third", "fourth"];

/**
 * Argument `nth` (from 1) as a VFS path. The message says which argument and what it is;
 * `vfsOp` puts the method's name before it.
 */
function p(v: unknown, nth = 1, what = "a path"): string {
  if (typeof v !== "string") {
    throw new ScriptCallError(
      `the ${NTH[nth - 1]} argument must be ${what} (text), not ${typeName(v)}`,
    );
  }
  return normalizePath(v);
}

/** What a script passed, in a word: `a number`, `undefined`, `an object`. */
function typeName(v: unknown): string {
  if (v === undefined || v === null) return String(v);
  if (Array.isArray(v)) return "an array";
  const t = typeof v;
  return /^[aeiou]/.test(t) ? `an ${t}` : `a ${t}`;
}

/** The script's name of a host operation: `listFiles` is `VirtualFS.ListFiles`. */
function methodName(op: string): string {
  if (op === "copy") return "VirtualFS.CopyToVFS";
  if (op === "move") return "VirtualFS.MoveToVFS";
  return `VirtualFS.${op[0]!.toUpperCase()}${op.slice(1)}`;
}

function date(v: unknown, what: string): Date {
  const d = v instanceof Date ? v : new Date(v as string | number);
  if (Number.isNaN(d.getTime())) {
    throw new ScriptCallError(`${what} is not a valid date: ${JSON.stringify(v) ?? String(v)}`);
  }
  return d;
}

function sortInfos(infos: FileInfo[], by: unknown, dir: unknown): FileInfo[] {
  const key = Number(by ?? 0);
  const cmpName = (a: FileInfo, b: FileInfo) => a.name < b.name ? -1 : a.name > b.name ? 1 : 0;
  const cmp = key === 1
    ? (a: FileInfo, b: FileInfo) => (a.isDir === b.isDir ? cmpName(a, b) : a.isDir ? -1 : 1)
    : key === 2
    ? (a: FileInfo, b: FileInfo) => a.size - b.size || cmpName(a, b)
    : key === 3
    ? (a: FileInfo, b: FileInfo) => a.modTime.getTime() - b.modTime.getTime() || cmpName(a, b)
    : cmpName;
  const sorted = [...infos].sort(cmp);
  return Number(dir ?? 0) === 1 ? sorted.reverse() : sorted;
}

async function readAll(stream: ReadableStream<Uint8Array>, limit: number): Promise<Uint8Array> {
  const chunks: Uint8Array[] = [];
  let total = 0;
  for await (const c of stream) {
    total += c.length;
    if (total > limit) {
      throw new VfsError(
        "NOT_SUPPORTED",
        `File is larger than ${limit} bytes: use CopyToVFS or ExportFile`,
      );
    }
    chunks.push(c);
  }
  return joinBytes(chunks);
}

/** Reads a range given SyncJS-style `(length, offset, whence)`; whole file without them. */
async function readRange(vfs: Vfs, path: string, args: unknown[]): Promise<Uint8Array> {
  const [length, offset, whence] = args;
  let start = 0;
  let len: number | undefined;
  if (length !== undefined && length !== null) {
    len = Number(length);
    const off = Number(offset ?? 0);
    if (!Number.isInteger(len) || len < 0 || !Number.isInteger(off)) {
      throw new ScriptCallError("length and offset must be whole numbers");
    }
    if (Number(whence ?? 0) === 2) {
      const size = (await vfs.stat(path)).size;
      start = Math.max(0, size - Math.abs(off));
    } else {
      start = Math.max(0, off);
    }
  } else {
    const size = (await vfs.stat(path)).size;
    if (size > MAX_READ_BYTES) {
      throw new VfsError(
        "NOT_SUPPORTED",
        `File "${path}" is ${size} bytes, over the ${
          MAX_READ_BYTES / 1048576
        } MiB limit of ReadFileAs*: use CopyToVFS or ExportFile`,
      );
    }
  }
  const stream = await vfs.openRead(path, { offset: start, length: len });
  return await readAll(stream, len ?? MAX_READ_BYTES);
}

/**
 * Writes under a temp name in the same folder, then renames into place. A missing folder is
 * the same error on every VFS, naming the folder (not the temp name).
 */
export async function writeAtomic(
  vfs: Vfs,
  path: string,
  source: ReadableStream<Uint8Array>,
  signal?: AbortSignal,
): Promise<void> {
  const folder = dirname(path);
  const tmp = joinPath(folder, tempName(basename(path)));
  try {
    const sink = await vfs.openWrite(tmp).catch((err) => {
      if (isVfsError(err) && err.code === "NOT_FOUND") {
        throw new VfsError("NOT_FOUND", `No such folder: "${folder}"`, { path, cause: err });
      }
      throw err;
    });
    await source.pipeTo(sink, { signal });
    await vfs.rename(tmp, path);
  } catch (err) {
    await vfs.remove(tmp).catch(() => {});
    throw err;
  }
}

function bytesStream(data: Uint8Array): ReadableStream<Uint8Array> {
  return new ReadableStream({
    start(c) {
      if (data.length > 0) c.enqueue(data);
      c.close();
    },
  });
}

async function listMatching(
  vfs: Vfs,
  dir: string,
  mask: unknown,
  recursive: boolean,
): Promise<FileInfo[]> {
  const m = typeof mask === "string" && mask !== "" ? mask : "*";
  const out: FileInfo[] = [];
  if (recursive) {
    for await (const info of walk(vfs, dir)) {
      if (!info.isDir && matchGlob(m, info.name)) out.push(info);
    }
  } else {
    for (const info of await vfs.list(dir)) {
      if (!info.isDir && matchGlob(m, info.name)) out.push(info);
    }
  }
  return sortInfos(out, 0, 0);
}

async function transfer(env: OpEnv, args: unknown[], move: boolean): Promise<ResultData> {
  const [srcPath, dstHandle, dstDir, rawOpts] = args;
  const dst = await env.handles.get(dstHandle);
  const o = (rawOpts ?? {}) as Record<string, unknown>;
  const overwrite = o.overwrite === undefined ? "never" : OVERWRITE[Number(o.overwrite)];
  if (!overwrite) {
    throw new ScriptCallError(`unknown overwrite policy ${JSON.stringify(o.overwrite)}`);
  }
  const r = await copyToVfs(
    env.vfs,
    p(srcPath, 1, "a source path"),
    dst,
    p(dstDir, 3, "a destination folder"),
    {
      overwrite,
      verify: o.verify === true,
      preserveTime: o.preserveTime === true,
      stopOnError: o.stopOnError === true,
      concurrency: typeof o.concurrency === "number"
        ? o.concurrency
        : env.ctx.job.limits.transferConcurrency,
      move,
      signal: env.ctx.signal,
      onProgress: (pr) =>
        env.ctx.progress({
          files: pr.files,
          bytes: pr.bytes,
          rate: pr.rate,
          path: pr.path,
          done: pr.done,
          filesTotal: pr.filesTotal,
          bytesTotal: pr.bytesTotal,
        }),
    },
  );
  env.ctx.addBytes(r.bytes);
  const errors = r.errors.map((e) => `${e.path}: ${e.message}`);
  return {
    ok: r.ok,
    error: r.ok
      ? ""
      : errors.length === 1
      ? errors[0]
      : `${errors.length} files failed; first: ${errors[0] ?? "unknown error"}`,
    files: r.files,
    bytesCopied: r.bytes,
    skipped: r.skipped,
    errors,
  };
}

function notSupported(vfs: Vfs, what: string): ResultData {
  return { ok: false, error: `${what} is not supported by the ${vfs.type} VFS type` };
}

/** Every VirtualFS operation by host name. */
export const VFS_OPS: Record<string, Op> = {
  async stat({ vfs }, [path]) {
    return { ok: true, info: scriptInfo(await vfs.stat(p(path))) };
  },
  async lstat({ vfs }, [path]) {
    return { ok: true, info: scriptInfo(await vfs.lstat(p(path))) };
  },
  async readDir({ vfs }, [path, by, dir]) {
    return { ok: true, infos: sortInfos(await vfs.list(p(path)), by, dir).map(scriptInfo) };
  },
  async mkdir({ vfs }, [path]) {
    await vfs.mkdir(p(path));
    return OK;
  },
  async mkdirAll({ vfs }, [path]) {
    await vfs.mkdir(p(path), { recursive: true });
    return OK;
  },
  async rmdir({ vfs }, [path]) {
    const info = await vfs.stat(p(path));
    if (!info.isDir) return { ok: false, error: `Not a directory: "${info.path}"` };
    await vfs.remove(info.path);
    return OK;
  },
  async remove({ vfs }, [path]) {
    const info = await vfs.lstat(p(path));
    if (info.isDir) {
      return { ok: false, error: `"${info.path}" is a directory: use Rmdir or RemoveAll` };
    }
    await vfs.remove(info.path);
    return OK;
  },
  async removeAll({ vfs }, [path]) {
    try {
      await vfs.remove(p(path), { recursive: true });
    } catch (err) {
      if (!(err instanceof VfsError && err.code === "NOT_FOUND")) throw err;
    }
    return OK;
  },
  async rename({ vfs }, [from, to]) {
    await vfs.rename(p(from, 1, "a source path"), p(to, 2, "a target path"));
    return OK;
  },
  async treeSize({ vfs }, [path]) {
    const root = await vfs.stat(p(path));
    if (!root.isDir) return { ok: true, size: root.size };
    let size = 0;
    for await (const info of walk(vfs, root.path)) if (!info.isDir) size += info.size;
    return { ok: true, size };
  },
  async chtimes({ vfs }, [path, atime, mtime]) {
    if (!vfs.setTimes) return notSupported(vfs, "Chtimes");
    await vfs.setTimes(p(path), date(atime, "atime"), date(mtime, "mtime"));
    return OK;
  },
  async chmod({ vfs }, [path, mode]) {
    if (!vfs.chmod) return notSupported(vfs, "Chmod");
    // Text is octal digits, with or without "0o": parseInt read "0o644" as 0 and "755abc" as
    // 0o755, and the first made a file mode 000.
    const text = typeof mode === "string" ? /^\s*(?:0o)?([0-7]{1,4})\s*$/i.exec(mode) : null;
    const m = typeof mode === "string" ? (text ? parseInt(text[1]!, 8) : NaN) : Number(mode);
    if (!Number.isInteger(m) || m < 0 || m > 0o7777) {
      throw new ScriptCallError(`invalid mode ${JSON.stringify(mode)}`);
    }
    // Setuid, setgid and sticky: a script would make a program run as the service's user.
    if (m > 0o777) {
      throw new ScriptCallError(
        `mode 0o${m.toString(8)} sets the setuid, setgid or sticky bit; ` +
          "a script may set permission bits only (0o000 to 0o777)",
      );
    }
    await vfs.chmod(p(path), m);
    return OK;
  },
  async truncate({ vfs }, [path, size]) {
    if (!vfs.truncate) return notSupported(vfs, "Truncate");
    const n = Number(size);
    if (!Number.isInteger(n) || n < 0) {
      throw new ScriptCallError("the second argument (size) must be a whole number");
    }
    await vfs.truncate(p(path), n);
    return OK;
  },
  async readFileAsText({ vfs }, [path, ...rest]) {
    return { ok: true, text: new TextDecoder().decode(await readRange(vfs, p(path), rest)) };
  },
  async readFileAsBytes({ vfs }, [path, ...rest]) {
    return { ok: true, bytes: await readRange(vfs, p(path), rest) };
  },
  async writeFileAsText({ vfs }, [path, text]) {
    await writeAtomic(vfs, p(path), bytesStream(new TextEncoder().encode(String(text ?? ""))));
    return OK;
  },
  async writeFileAsBytes({ vfs }, [path, bytes]) {
    if (!(bytes instanceof Uint8Array)) {
      throw new ScriptCallError(
        `the second argument must be bytes (a Uint8Array), not ${typeName(bytes)}`,
      );
    }
    await writeAtomic(vfs, p(path), bytesStream(bytes));
    return OK;
  },
  async importFile({ ctx, vfs }, [localPath, vfsPath]) {
    if (typeof localPath !== "string") {
      throw new ScriptCallError(
        `the first argument must be a local path (text), not ${typeName(localPath)}`,
      );
    }
    const abs = await checkLocalPath(localPath, ctx.job.limits.localRoots).catch((e: Error) => {
      throw new ScriptCallError(e.message);
    });
    await checkRegularFile(abs, localPath);
    const file = await Deno.open(abs, { read: true }).catch(async (err) => {
      throw await localError(err, localPath);
    });
    // A halt ends a large import at once, its temporary file removed.
    await writeAtomic(vfs, p(vfsPath, 2), file.readable, ctx.signal);
    return OK;
  },
  async exportFile({ ctx, vfs }, [vfsPath, localPath]) {
    if (typeof localPath !== "string") {
      throw new ScriptCallError(
        `the second argument must be a local path (text), not ${typeName(localPath)}`,
      );
    }
    const abs = await checkLocalPath(localPath, ctx.job.limits.localRoots).catch((e: Error) => {
      throw new ScriptCallError(e.message);
    });
    const src = await vfs.openRead(p(vfsPath));
    const tmp = await tempBeside(abs);
    try {
      // Named as the script named it, not as aft's temporary file beside it.
      const file = await Deno.open(tmp, { write: true, create: true, truncate: true }).catch(
        async (err) => {
          await src.cancel().catch(() => {});
          throw await localError(err, localPath);
        },
      );
      await src.pipeTo(file.writable, { signal: ctx.signal });
      await Deno.rename(tmp, abs);
    } catch (err) {
      await Deno.remove(tmp).catch(() => {});
      throw err;
    }
    return OK;
  },
  async listFiles({ vfs }, [dir, mask]) {
    return { ok: true, infos: (await listMatching(vfs, p(dir), mask, false)).map(scriptInfo) };
  },
  async listFilesR({ vfs }, [dir, mask]) {
    return { ok: true, infos: (await listMatching(vfs, p(dir), mask, true)).map(scriptInfo) };
  },
  copy(env, args) {
    return transfer(env, args, false);
  },
  move(env, args) {
    return transfer(env, args, true);
  },
};

/** A failed result from an error, with the VFS named when the message lacks context. */
export function failure(err: unknown): ResultData {
  if (isVfsError(err)) return { ok: false, error: err.message };
  if (err instanceof ScriptCallError) throw err;
  return { ok: false, error: err instanceof Error ? err.message : String(err) };
}

/** Runs `vfs.op(handle, op, args)`. */
export async function vfsOp(
  ctx: HostContext,
  handles: VfsHandles,
  handle: unknown,
  op: unknown,
  args: unknown,
): Promise<ResultData> {
  const fn = typeof op === "string" ? VFS_OPS[op] : undefined;
  if (!fn || !Array.isArray(args)) {
    throw new ScriptCallError(`Unknown VirtualFS operation ${JSON.stringify(op)}`);
  }
  let vfs: Vfs;
  try {
    vfs = await handles.get(handle);
  } catch (err) {
    if (err instanceof ScriptCallError) throw named(op as string, err);
    const msg = err instanceof Error ? err.message : String(err);
    return { ok: false, error: `Cannot open VFS "${handles.name(handle as number)}": ${msg}` };
  }
  try {
    return await fn({ ctx, handles, vfs }, args);
  } catch (err) {
    if (err instanceof ScriptCallError) throw named(op as string, err);
    return failure(err);
  }
}

/** A script's mistake in a call, with the method it called: `VirtualFS.Stat: the first …`. */
function named(op: string, err: ScriptCallError): ScriptCallError {
  return new ScriptCallError(`${methodName(op)}: ${err.message}`);
}
