/**
 * The source a job runs: its stored script, or its file, checked again when the job starts
 * (see `script_files.ts`: a link swapped in after the job was queued is refused, and the file
 * read is the one checked).
 *
 * @module
 */

import { resolve } from "../path.ts";
import type { JobRecord } from "../store/types.ts";
import type { JobSource } from "./execute.ts";
import { checkScriptFile, checkScriptSize } from "./script_files.ts";
import type { EngineCore } from "./types.ts";

/** The job's source, or one sentence saying why there is none. */
export async function jobSource(core: EngineCore, job: JobRecord): Promise<JobSource | string> {
  if (job.scriptId) {
    const s = await core.store.scripts.get(job.scriptId);
    if (!s) return `The stored script "${job.scriptName}" was removed before the job ran`;
    return { source: s.source, fileName: `${s.name}.syncjs` };
  }
  if (job.filePath) {
    let path = job.filePath;
    try {
      if (job.trigger !== "cli") {
        // Read now, not from the one-second cache: a folder an administrator has just allowed
        // (or taken away) counts from the next request.
        const { scriptRoots, localRoots } = await core.settings(true);
        path = checkScriptFile(job.filePath, {
          scriptRoots,
          localRoots,
          dataDir: core.dataDir,
        });
      }
      checkScriptSize((await Deno.stat(path)).size);
      return { source: await Deno.readTextFile(path), fileName: resolve(job.filePath) };
    } catch (err) {
      return `Cannot read script file "${job.filePath}": ${(err as Error).message}`;
    }
  }
  return "The job names neither a stored script nor a file";
}
