/**
 * Host handlers for the local-disk helpers (`FileExists`, `WriteTextFile`, `ListLocal`, ...).
 * Every path goes through `checkLocalPath` first.
 *
 * @module
 */

import { join } from "../../../path.ts";
import type { ResultData, ScriptFileInfo } from "../../protocol/calls.ts";
import { matchGlob } from "../../../vfs/glob.ts";
import { type HostContext, ScriptCallError } from "./context.ts";
import { checkLocalPath, LocalRootError } from "../../../vfs/local_roots.ts";
import { tempBeside } from "./local_temp.ts";
import { checkRegularFile, isFsError, localError } from "./local_file.ts";
import { copyFileAbortable } from "../../../vfs/copy_file.ts";

export { tempBeside } from "./local_temp.ts";

type LocalOp = (ctx: HostContext, args: unknown[]) => Promise<ResultData | boolean>;

/** Checks a script's local path against `localRoots`: leaving them throws into the script. */
export function localPath(ctx: HostContext, p: unknown): Promise<string> {
  if (typeof p !== "string" || p === "") {
    throw new ScriptCallError("A local path must be a non-empty string");
  }
  return checkLocalPath(p, ctx.job.limits.localRoots).catch((err: unknown) => {
    // Leaving the allowed folders is a programming error in the script: it throws.
    if (err instanceof LocalRootError) throw new ScriptCallError(err.message);
    throw err;
  });
}

/**
 * A failed result from an error of a local operation on the script's `path`: the disk VFS's
 * words for a file system error ("No such file or folder: \"/in/a.txt\""), never Deno's, which
 * name aft's temporary file ("open '/in/.a.txt.7d4a….aft-….tmp'"). Loaded on failure only.
 */
export async function failed(err: unknown, path?: unknown): Promise<ResultData> {
  if (typeof path === "string" && isFsError(err)) {
    return { ok: false, error: (await localError(err, path)).message };
  }
  return { ok: false, error: err instanceof Error ? err.message : String(err) };
}

async function exists(p: string, dir: boolean): Promise<boolean> {
  try {
    const st = await Deno.stat(p);
    return dir ? st.isDirectory : st.isFile;
  } catch {
    return false;
  }
}

/** Writes via a temp file in the same folder and a rename, so readers never see half a file. */
async function writeAtomic(target: string, data: Uint8Array): Promise<void> {
  const tmp = await tempBeside(target);
  try {
    await Deno.writeFile(tmp, data);
    await Deno.rename(tmp, target);
  } catch (err) {
    await Deno.remove(tmp).catch(() => {});
    throw err;
  }
}

function toInfo(p: string, name: string, st: Deno.FileInfo): ScriptFileInfo {
  return {
    Name: name,
    Path: p,
    Size: st.isDirectory ? 0 : st.size,
    ModTime: (st.mtime ?? new Date(0)).toISOString(),
    IsDir: st.isDirectory,
    Mode: st.mode ?? 0,
  };
}

/**
 * What `ListLocal` tells of an entry. A symbolic link is followed to what it names when that
 * lies inside `localRoots` (or there are none), as before; one that leads out of them, or
 * nowhere, is told as the link itself (its own size and time, not a folder), so that a listing
 * reveals nothing of a file the script may not read, and a broken link (or a loop) no longer
 * fails the whole listing.
 */
async function entryInfo(ctx: HostContext, p: string, e: Deno.DirEntry): Promise<Deno.FileInfo> {
  if (!e.isSymlink) return await Deno.stat(p);
  try {
    await checkLocalPath(p, ctx.job.limits.localRoots);
    return await Deno.stat(p);
  } catch {
    // Out of localRoots, broken, or a loop: the link itself.
    return await Deno.lstat(p);
  }
}

const ops: Record<string, LocalOp> = {
  async fileExists(ctx, [p]) {
    return await exists(await localPath(ctx, p), false);
  },
  async dirExists(ctx, [p]) {
    return await exists(await localPath(ctx, p), true);
  },
  async readTextFile(ctx, [p]): Promise<ResultData> {
    const abs = await localPath(ctx, p);
    try {
      await checkRegularFile(abs, String(p));
      return { ok: true, text: await Deno.readTextFile(abs) };
    } catch (err) {
      return await failed(err, p);
    }
  },
  async writeTextFile(ctx, [p, text]): Promise<ResultData> {
    const abs = await localPath(ctx, p);
    try {
      await writeAtomic(abs, new TextEncoder().encode(String(text)));
      return { ok: true };
    } catch (err) {
      return await failed(err, p);
    }
  },
  async copyFile(ctx, [a, b]): Promise<ResultData> {
    const [src, dst] = [await localPath(ctx, a), await localPath(ctx, b)];
    try {
      await checkRegularFile(src, String(a));
    } catch (err) {
      return await failed(err);
    }
    const tmp = await tempBeside(dst);
    try {
      await copyFileAbortable(src, tmp, ctx.signal); // a halt ends it, its file removed
      await Deno.rename(tmp, dst);
      return { ok: true };
    } catch (err) {
      await Deno.remove(tmp).catch(() => {});
      // The error names one of the two files, or the temporary one: say which of the script's.
      const missing = err instanceof Deno.errors.NotFound && !(await exists(src, false));
      return await failed(err, missing ? a : b);
    }
  },
  async moveFile(ctx, [a, b]): Promise<ResultData> {
    const [src, dst] = [await localPath(ctx, a), await localPath(ctx, b)];
    try {
      await Deno.rename(src, dst);
      return { ok: true };
    } catch (err) {
      // Across file systems rename fails: copy, then remove the source.
      if (!(err instanceof Deno.errors.NotFound)) {
        const copied = await ops.copyFile!(ctx, [src, dst]) as ResultData;
        if (!copied.ok) return copied;
        await Deno.remove(src);
        return { ok: true };
      }
      return await failed(err, await exists(src, false) ? b : a);
    }
  },
  async delFile(ctx, [p]): Promise<ResultData> {
    const abs = await localPath(ctx, p);
    try {
      if ((await Deno.stat(abs)).isDirectory) {
        return { ok: false, error: `"${abs}" is a directory` };
      }
      await Deno.remove(abs);
      return { ok: true };
    } catch (err) {
      return await failed(err, p);
    }
  },
  async makeDir(ctx, [p]): Promise<ResultData> {
    const abs = await localPath(ctx, p);
    try {
      await Deno.mkdir(abs, { recursive: true });
      return { ok: true };
    } catch (err) {
      return await failed(err, p);
    }
  },
  async listLocal(ctx, [dir, mask]): Promise<ResultData> {
    const abs = await localPath(ctx, dir);
    const m = typeof mask === "string" && mask !== "" ? mask : "*";
    try {
      const infos: ScriptFileInfo[] = [];
      for await (const e of Deno.readDir(abs)) {
        if (!matchGlob(m, e.name)) continue;
        const p = join(abs, e.name);
        infos.push(toInfo(p, e.name, await entryInfo(ctx, p, e)));
      }
      infos.sort((x, y) => x.Name < y.Name ? -1 : x.Name > y.Name ? 1 : 0);
      return { ok: true, infos };
    } catch (err) {
      return await failed(err, dir);
    }
  },
};

/** Dispatches `local` calls: `(op, args)`. */
export async function localCall(
  ctx: HostContext,
  op: unknown,
  args: unknown,
): Promise<ResultData | boolean> {
  const fn = typeof op === "string" ? ops[op] : undefined;
  if (!fn || !Array.isArray(args)) {
    throw new ScriptCallError(`Unknown local operation ${JSON.stringify(op)}`);
  }
  return await fn(ctx, args);
}
