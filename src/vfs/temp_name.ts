/**
 * Names of the temporary files aft writes before renaming a file into place, and what a later
 * run reads back from one. A temporary file for `report.csv` is
 *
 *     .report.csv.3f9a0c51d2e7-1a2b3c4d-2ivo0-1p3k.aft-8c1e2f3a.tmp
 *
 * the hidden target name, a fingerprint of the copy (target name, source path, size and
 * modification time: the same copy gets the same one, so a later run can resume it), the
 * writer (host tag, process ID, process start; see `writer_id.ts`) and a random part. A name
 * too long for a file system's 255 bytes has its target part shortened; the fingerprint still
 * tells which file it is for. Older temporary names (`.NAME.aft-RANDOM.tmp`) are recognised
 * too, without fingerprint or writer.
 *
 * A temporary file left by a crash is a leftover ({@linkcode isLeftover}) once its writer is
 * known to be gone, or, when that cannot be known, once it has not changed for
 * {@linkcode STALE_AFTER_MS}; every writer of aft's removes the leftovers it finds where it
 * writes (the copy engine in `copy_dest.ts`, the runner's local-disk helpers).
 *
 * @example
 * ```ts
 * const tmp = tempName("report.csv", fingerprint("report.csv", info));
 * parseTempName(tmp)?.fingerprint; // the same fingerprint
 * ```
 * @module
 */

import { sha256Hex } from "../sha256.ts";
import { thisWriter, type Writer, writerState } from "./writer_id.ts";

/** What a temporary file's name says. */
export interface TempName {
  /** The target name as written in the temporary name (possibly shortened). */
  target: string;
  /** Set for names of this format; absent for the older format. */
  fingerprint?: string;
  writer?: Writer;
}

/** Most file systems' limit on a name, in bytes. */
const MAX_NAME_BYTES = 255;

const CURRENT =
  /^\.(.*)\.([0-9a-f]{12})-([0-9a-f]{8})-([0-9a-z]{1,8})-([0-9a-z]{1,12})\.aft-[0-9a-z]{8}\.tmp$/s;
const OLDER = /^\.(.+)\.aft-[0-9a-z]{8}\.tmp$/s;

/** True for the name of a temporary file of aft's (either format). */
export function isTempName(name: string): boolean {
  return OLDER.test(name);
}

/** What `name` says, or undefined when it is not one of aft's temporary names. */
export function parseTempName(name: string): TempName | undefined {
  const m = CURRENT.exec(name);
  if (m) {
    return {
      target: m[1]!,
      fingerprint: m[2]!,
      writer: { host: m[3]!, pid: parseInt(m[4]!, 36), start: m[5]! },
    };
  }
  const old = OLDER.exec(name);
  return old ? { target: old[1]! } : undefined;
}

/**
 * The fingerprint of copying source `path` (`size` bytes, modified at `modTime`) to a file named
 * `target`: 12 hex digits, equal only for the same copy of an unchanged source.
 */
export function fingerprint(
  target: string,
  src: { path: string; size: number; modTime: Date },
): string {
  return sha256Hex([target, src.path, src.size, src.modTime.getTime()].join("\0")).slice(0, 12);
}

/**
 * A new temporary name for a file named `target`, written by this process (or by `w`). Without
 * a fingerprint (a write that cannot be resumed) the fingerprint part is random.
 */
export function tempName(target: string, fp?: string, w: Writer = thisWriter()): string {
  const random = () => crypto.randomUUID().replaceAll("-", "");
  const tail = `.${fp ?? random().slice(0, 12)}-${w.host}-${w.pid.toString(36)}-${w.start}.aft-${
    random().slice(0, 8)
  }.tmp`;
  return `.${shorten(target, MAX_NAME_BYTES - 1 - tail.length)}${tail}`;
}

/** `s` cut to at most `bytes` bytes of UTF-8, at a character boundary. */
function shorten(s: string, bytes: number): string {
  const enc = new TextEncoder();
  if (enc.encode(s).length <= bytes) return s;
  let out = "";
  let used = 0;
  for (const ch of s) {
    const n = enc.encode(ch).length;
    if (used + n > bytes) break;
    out += ch;
    used += n;
  }
  return out;
}

/**
 * A temporary file whose writer cannot be asked (another host, an older name, a system without
 * `/proc`) is a leftover once unchanged this long: a write in progress changes it all the time,
 * and a day also covers servers whose clocks are hours off.
 */
export const STALE_AFTER_MS = 24 * 60 * 60 * 1000;

/**
 * True when the temporary file `t` (its parsed name), last changed at `modTime`, is a leftover
 * of a writer that is gone: a process of this host that no longer runs, or a writer that cannot
 * be asked and a file unchanged for {@linkcode STALE_AFTER_MS}. A file of a writer that still
 * runs, or may still run, is never one.
 */
export function isLeftover(t: TempName, modTime: Date, now = Date.now()): boolean {
  const state = t.writer ? writerState(t.writer) : "unknown";
  if (state === "alive") return false;
  return state === "dead" || now - modTime.getTime() >= STALE_AFTER_MS;
}
