/**
 * `Zip(sourceGlobOrDir, zipPath)` and `Unzip(zipPath, destDir)` on the local disk, with our
 * writer (zip_writer.ts, large files deflated in parallel) and npm `yauzl` (reader). Both
 * stream: no file and no archive is held in memory.
 *
 * - Zip writes the archive under a temporary name and renames it into place; a halt removes it.
 *   It follows a link to a file, refusing the whole archive when the file is outside
 *   `localRoots`.
 * - Unzip first reads the whole central directory and refuses the archive if any entry would
 *   land outside `destDir` (absolute names, drive letters, `..`, symbolic links), before
 *   anything is written, and if a folder already in `destDir` that an entry would go through
 *   is a symbolic link out of `localRoots`, or an entry's own name there is a link
 *   (unzip_dest.ts). It then extracts into a staging folder inside `destDir` and moves the
 *   entries into place only when all of them extracted and checked out, so a corrupt archive
 *   leaves the destination as it was.
 *
 * @module
 */

import { basename, dirname, join, resolve, sep } from "node:path";
import yauzl from "yauzl";
import { matchGlob } from "../../../vfs/glob.ts";
import type { ResultData } from "../../protocol/calls.ts";
import { type HostContext, ScriptCallError } from "./context.ts";
import { BatchedWriter } from "./batched_writer.ts";
import { readEntry } from "./zip_entry.ts";
import { unsafeTarget } from "./unzip_dest.ts";
import { checkLocalPath, LocalRootError } from "../../../vfs/local_roots.ts";
import { failed, localPath, tempBeside } from "./local.ts";
import { checkRegularFile, localError } from "./local_file.ts";
import { ZipWriter, type ZipWriterOptions } from "./zip_writer.ts";

const GLOB = /[*?[{]/;
const S_IFMT = 0o170000;
const S_IFLNK = 0o120000;

interface Source {
  /** Absolute path on disk. */
  abs: string;
  /** Name in the archive, `/`-separated. */
  name: string;
  dir: boolean;
  mtime: Date;
  mode: number;
}

/** The files (and folders) a Zip source names. */
async function collect(ctx: HostContext, source: string): Promise<Source[]> {
  const last = basename(source);
  const roots = ctx.job.limits.localRoots;
  if (GLOB.test(last)) {
    const dir = await localPath(ctx, dirname(source));
    const out: Source[] = [];
    for await (const e of Deno.readDir(dir)) {
      if (!matchGlob(last, e.name)) continue;
      const abs = join(dir, e.name);
      const st = await Deno.stat(abs);
      if (e.isSymlink && st.isFile) await linkInside(abs, roots);
      if (st.isFile) out.push(entry(abs, e.name, st));
    }
    return out.sort((a, b) => (a.name < b.name ? -1 : 1));
  }
  const abs = await localPath(ctx, source);
  const st = await Deno.stat(abs).catch(async (err) => {
    throw await localError(err, source);
  });
  if (st.isFile) return [entry(abs, basename(abs), st)];
  if (!st.isDirectory) await checkRegularFile(abs, source); // says what it is instead

  const out: Source[] = [];
  await walkDir(abs, "", out, roots);
  return out;
}

/**
 * Refuses a link to a file outside `roots`: Zip follows links to files, and read
 * through one it archived any file of the host (a script's own paths are checked after
 * resolving links, the files found in a folder must be too).
 */
async function linkInside(abs: string, roots: readonly string[]): Promise<void> {
  try {
    await checkLocalPath(abs, roots);
  } catch (err) {
    if (!(err instanceof LocalRootError)) throw err;
    throw new Error(
      `"${abs}" is a symbolic link to a place outside the allowed folders (setting ` +
        `localRoots: ${roots.join(", ")}); nothing was archived`,
    );
  }
}

function entry(abs: string, name: string, st: Deno.FileInfo): Source {
  return { abs, name, dir: st.isDirectory, mtime: st.mtime ?? new Date(), mode: st.mode ?? 0 };
}

async function walkDir(
  dir: string,
  prefix: string,
  out: Source[],
  roots: readonly string[],
): Promise<void> {
  const entries = await Array.fromAsync(Deno.readDir(dir));
  entries.sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
  for (const e of entries) {
    const abs = join(dir, e.name);
    const name = prefix + e.name;
    // Links are followed to files; a linked folder is not entered (it could loop).
    const st = await Deno.stat(abs).catch(() => null);
    if (!st) continue;
    if (e.isSymlink && st.isFile) await linkInside(abs, roots);
    if (st.isDirectory && !e.isSymlink) {
      out.push(entry(abs, name, st));
      await walkDir(abs, name + "/", out, roots);
    } else if (st.isFile) {
      out.push(entry(abs, name, st));
    }
  }
}

/** `Zip(sourceGlobOrDir, zipPath)`; `opts` are the writer's (tests force Zip64 with them). */
export async function zipCall(
  ctx: HostContext,
  [source, target]: unknown[],
  opts: ZipWriterOptions = {},
): Promise<ResultData> {
  const zipAbs = await localPath(ctx, target);
  let sources: Source[];
  try {
    sources = await collect(ctx, String(source));
  } catch (err) {
    // A source outside localRoots throws, as the target does and as in every other helper;
    // what is found on the disk (a missing file, a link out of them) is a failed result.
    if (err instanceof ScriptCallError) throw err;
    return failed(err);
  }
  const tmp = await tempBeside(zipAbs);
  let out: Deno.FsFile | undefined;
  let writer: ZipWriter | undefined;
  try {
    // A folder that is not there, or not writable: named as the script named the archive.
    out = await Deno.open(tmp, { write: true, createNew: true }).catch(async (err) => {
      throw await localError(err, String(target));
    });
    writer = new ZipWriter(out, { ...opts, signal: ctx.signal });
    let bytes = 0;
    for (const s of sources) {
      if (ctx.signal.aborted) throw new Error("The job was halted");
      if (s.dir) await writer.addDirectory(s.name, s.mtime, s.mode | 0o40000);
      else bytes += await writer.addFile(s.abs, s.name, s.mtime, s.mode);
    }
    await writer.finish();
    out.close();
    out = undefined;
    if (ctx.signal.aborted) throw new Error("The job was halted");
    await Deno.rename(tmp, zipAbs);
    return { ok: true, files: sources.filter((s) => !s.dir).length, bytesCopied: bytes };
  } catch (err) {
    out?.close();
    out = undefined;
    await Deno.remove(tmp).catch(() => {});
    return failed(err);
  } finally {
    writer?.close();
    out?.close();
  }
}

// Code page 437, the zip format's default, from 0x80 up.
const CP437 =
  "ÇüéâäàåçêëèïîìÄÅÉæÆôöòûùÿÖÜ¢£¥₧ƒáíóúñÑªº¿⌐¬½¼¡«»░▒▓│┤╡╢╖╕╣║╗╝╜╛┐└┴┬├─┼╞╟╚╔╩╦╠═╬╧╨╤╥╙╘╒╓╫╪┘┌█▄▌▐▀αßΓπΣσµτΦΘΩδ∞φε∩≡±≥≤⌠⌡÷≈°∙·√ⁿ²■\u00a0";

/** An entry's name: UTF-8 when flagged or when the bytes are valid UTF-8, else CP437. */
export function entryName(raw: Uint8Array, utf8Flag: boolean): string {
  if (utf8Flag) return new TextDecoder().decode(raw);
  try {
    return new TextDecoder("utf-8", { fatal: true }).decode(raw);
  } catch {
    return Array.from(raw, (b) => b < 0x80 ? String.fromCharCode(b) : CP437[b - 0x80]!).join("");
  }
}

/** Why an entry name cannot be extracted safely, or undefined when it can. */
export function unsafeEntry(name: string, externalAttributes: number): string | undefined {
  const mode = externalAttributes >>> 16;
  if ((mode & S_IFMT) === S_IFLNK) return "is a symbolic link";
  if (name.startsWith("/") || name.startsWith("\\") || /^[A-Za-z]:/.test(name)) {
    return "has an absolute path";
  }
  if (name.split(/[/\\]/).some((part) => part === "..")) return 'climbs out with ".."';
  if (name.includes("\0")) return "has a NUL character";
  return undefined;
}

function open(path: string): Promise<yauzl.ZipFile> {
  return new Promise((res, rej) =>
    yauzl.open(path, {
      lazyEntries: true,
      autoClose: false,
      // Names are decoded and checked here (entryName, unsafeEntry), so the refusal names
      // the bad entry, and UTF-8 names written without the UTF-8 flag (Info-ZIP's zip on
      // Linux does that) come out right.
      strictFileNames: false,
      decodeStrings: false,
      validateEntrySizes: true,
    }, (err, zf) => err ? rej(err) : res(zf!))
  );
}

function readEntries(zf: yauzl.ZipFile): Promise<yauzl.Entry[]> {
  return new Promise((res, rej) => {
    const list: yauzl.Entry[] = [];
    zf.on("entry", (e: yauzl.Entry) => {
      e.fileName = entryName(
        e.fileName as unknown as Uint8Array,
        (e.generalPurposeBitFlag & 0x800) !== 0,
      );
      list.push(e);
      zf.readEntry();
    });
    zf.on("end", () => res(list));
    zf.on("error", rej);
    zf.readEntry();
  });
}

/** `Unzip(zipPath, destDir)`. */
export async function unzipCall(
  ctx: HostContext,
  [source, target]: unknown[],
): Promise<ResultData> {
  const zipAbs = await localPath(ctx, source);
  const dest = await localPath(ctx, target);
  const roots = ctx.job.limits.localRoots;
  let zf: yauzl.ZipFile;
  try {
    await checkRegularFile(zipAbs, String(source));
  } catch (err) {
    return failed(err);
  }
  try {
    zf = await open(zipAbs);
  } catch (err) {
    return failed(new Error(`Cannot read "${source}" as a zip archive: ${message(err)}`));
  }
  let staging: string | undefined;
  let data: Deno.FsFile | undefined;
  try {
    let entries: yauzl.Entry[];
    try {
      entries = await readEntries(zf);
    } catch (err) {
      return failed(new Error(`Cannot read "${source}" as a zip archive: ${message(err)}`));
    }
    for (const e of entries) {
      const why = unsafeEntry(e.fileName, e.externalFileAttributes);
      if (why) {
        return failed(
          new Error(`Refused "${source}": entry "${e.fileName}" ${why}; nothing was extracted`),
        );
      }
      if (e.isEncrypted()) {
        return failed(new Error(`Entry "${e.fileName}" of "${source}" is encrypted`));
      }
    }
    // Folders already in the destination may be links to elsewhere (unzip_dest.ts).
    const seen = new Set<string>();
    for (const e of entries) {
      const rel = e.fileName.replaceAll("\\", "/");
      const why = await unsafeTarget(dest, rel, rel.endsWith("/"), roots, seen);
      if (why) {
        return failed(
          new Error(`Refused "${source}": entry "${e.fileName}" ${why}; nothing was extracted`),
        );
      }
    }
    await Deno.mkdir(dest, { recursive: true });
    staging = await Deno.makeTempDir({ dir: dest, prefix: ".aft-unzip-" });
    // The entries' data is read here (zip_entry.ts), yauzl read the directory.
    data = await Deno.open(zipAbs);
    const dataSize = (await data.stat()).size;
    let files = 0;
    let bytes = 0;
    const times: [string, Date][] = [];
    for (const e of entries) {
      if (ctx.signal.aborted) throw new Error("The job was halted");
      const rel = e.fileName.replaceAll("\\", "/").replace(/\/+$/, "");
      if (rel === "") continue;
      const abs = resolve(staging, rel);
      if (!abs.startsWith(staging + sep)) {
        throw new Error(`Entry "${e.fileName}" would land outside the destination`);
      }
      if (e.fileName.endsWith("/")) {
        await Deno.mkdir(abs, { recursive: true });
        times.push([abs, e.getLastModDate()]);
        continue;
      }
      await Deno.mkdir(dirname(abs), { recursive: true });
      const file = await Deno.open(abs, { write: true, createNew: true });
      const out = new BatchedWriter(file, e.uncompressedSize);
      try {
        await readEntry(data, dataSize, e, async (chunk) => {
          if (ctx.signal.aborted) throw new Error("The job was halted");
          await out.write(chunk);
        });
        await out.flush();
      } finally {
        file.close();
      }
      bytes += e.uncompressedSize;
      files++;
      times.push([abs, e.getLastModDate()]);
    }
    // Folders last, innermost first: writing their files changed their times.
    for (const [abs, mtime] of times.reverse()) await Deno.utime(abs, mtime, mtime);
    await moveInto(staging, dest, roots);
    return { ok: true, files, bytesCopied: bytes };
  } catch (err) {
    return failed(new Error(`Cannot extract "${source}": ${message(err)}`));
  } finally {
    zf.close();
    data?.close();
    if (staging) await Deno.remove(staging, { recursive: true }).catch(() => {});
  }
}

/**
 * Moves the staged tree into `dest`, merging with folders that exist there. The links in
 * `dest` were checked before extracting (unsafeTarget); one that appeared since is checked
 * again here, so a merge never goes through a link out of `roots`.
 */
async function moveInto(from: string, dest: string, roots: readonly string[]): Promise<void> {
  for await (const e of Deno.readDir(from)) {
    const src = join(from, e.name);
    const dst = join(dest, e.name);
    const link = (await Deno.lstat(dst).catch(() => null))?.isSymlink === true;
    if (link && !e.isDirectory) throw new Error(`"${dst}" is a symbolic link; it was kept`);
    if (e.isDirectory) {
      const there = await Deno.stat(dst).catch(() => null);
      if (there?.isDirectory) {
        if (link) await checkLocalPath(dst, roots);
        await moveInto(src, dst, roots);
        continue;
      }
      if (there || link) await Deno.remove(dst);
    }
    await Deno.rename(src, dst);
  }
}

function message(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}
