/**
 * Temporary files of the runner's writes to the local disk (`WriteTextFile`, `CopyFile`,
 * `ExportFile`, `Zip`, the OpenPGP helpers): written beside their target under aft's temporary
 * name (`vfs/temp_name.ts`, which names the writing process), then renamed into place. A
 * process killed mid-write leaves its temporary file behind; the next write into that folder
 * removes such leftovers by the copy engine's rule (`isLeftover`: the writer is gone, or it
 * cannot be asked and the file has not changed for a day). A folder is swept at most once
 * every ten minutes by a runner process, so writing many files into one folder lists it once.
 *
 * @example
 * ```ts
 * const tmp = await tempBeside("/data/out/report.csv"); // "/data/out/.report.csv.….tmp"
 * ```
 * @module
 */

import { basename, dirname, join } from "../../../path.ts";
import { isLeftover, parseTempName, tempName } from "../../../vfs/temp_name.ts";

/** A folder swept this recently (ms) is not listed again. */
const SWEEP_EVERY_MS = 10 * 60 * 1000;
const swept = new Map<string, number>();

/**
 * A new temporary name beside `target`, after removing the leftovers of crashed writes in its
 * folder (at most once every ten minutes per folder).
 */
export async function tempBeside(target: string): Promise<string> {
  const dir = dirname(target);
  await sweepLeftovers(dir);
  return join(dir, tempName(basename(target)));
}

/**
 * Removes the leftover temporary files in `dir` (see the module note), unless this process
 * swept it within the last ten minutes; returns how many it removed. Never fails: a folder that
 * cannot be read is left to the write that follows to report.
 */
export async function sweepLeftovers(dir: string, now = Date.now()): Promise<number> {
  const last = swept.get(dir);
  if (last !== undefined && now - last < SWEEP_EVERY_MS) return 0;
  if (swept.size >= 10_000) swept.clear(); // a bound for a job writing into endless folders
  swept.set(dir, now);
  let removed = 0;
  try {
    for await (const entry of Deno.readDir(dir)) {
      const t = entry.isFile ? parseTempName(entry.name) : undefined;
      if (!t) continue;
      const path = join(dir, entry.name);
      const st = await Deno.lstat(path).catch(() => undefined);
      if (!st?.isFile || !isLeftover(t, st.mtime ?? new Date(0), now)) continue;
      await Deno.remove(path).then(() => removed++, () => {}); // gone, or not ours to remove
    }
  } catch { /* unreadable or missing folder */ }
  return removed;
}
