/**
 * Which script files a job may run by path. A job from a file path (REST `filePath`,
 * `aft start -f`) runs only a script an administrator published: a file with a script
 * extension, inside one of the folders of the setting `scriptRoots` (none by default, which
 * turns such jobs off) after links are resolved, never inside the data directory, and inside
 * `localRoots` when that is set. `aft run` (the machine's own user, allowed by `allowCliRun`)
 * runs any file that user names.
 *
 * Why this closes the leak of file contents: a caller of the API reads nothing of a file it
 * names unless the file passes these rules first. The checks on the path itself (extension,
 * folder) come before anything touches the disk, so a refused caller cannot even learn whether
 * a file outside the folders exists; and every refusal names the path, never its content.
 * What passes is a script the administrator put in a script folder for API callers to run, so
 * that script's own errors (which may quote its source, like any stack trace) tell the caller
 * nothing the administrator did not publish. The queue checks the file again when the job
 * starts and reads the path it checked, so a link swapped in meanwhile is refused too.
 *
 * @module
 */

import { basename, extname, isAbsolute, resolve } from "../path.ts";
import { isInside, realPathOf } from "../vfs/local_roots.ts";
import { EngineError } from "./errors.ts";

/** Extensions of script files. */
export const SCRIPT_EXTENSIONS = [".syncjs", ".js", ".ts"] as const;

/**
 * The largest script file a job runs (bytes). A script is a program; a file past this is most
 * likely a data file named by mistake, which was read whole, handed to the runner and ended as
 * "exceeded the memory limit" (200 MiB) or "failed to allocate string" (600 MiB) seconds later.
 */
export const MAX_SCRIPT_FILE_BYTES = 16 * 1024 * 1024;

/** Throws EngineError INVALID_REQUEST when a script file of `size` bytes is too large to run. */
export function checkScriptSize(size: number): void {
  if (size <= MAX_SCRIPT_FILE_BYTES) return;
  throw new EngineError(
    "INVALID_REQUEST",
    `the file is ${(size / 1048576).toFixed(1)} MiB, and a script file may be at most ${
      MAX_SCRIPT_FILE_BYTES / 1048576
    } MiB`,
  );
}

/** The folders that decide whether a file may run. */
export interface ScriptFileRules {
  /** Setting `scriptRoots`: folders of scripts that jobs from a file path may run. */
  scriptRoots: readonly string[];
  /** Setting `localRoots`: when set, the file must be inside one of these too. */
  localRoots: readonly string[];
  /** The data directory, from which no script ever runs. */
  dataDir: string;
}

/**
 * True when `p` is `root` or inside it, compared on path segments (`/opt/scripts2` is not
 * inside `/opt/scripts`, `/opt/scripts/..x` is), the rule of `vfs/local_roots.ts`.
 */
export function isWithin(root: string, p: string): boolean {
  return isInside(resolve(root), resolve(p));
}

/** True for a name with a script extension (any letter case). */
export function isScriptName(p: string): boolean {
  return (SCRIPT_EXTENSIONS as readonly string[]).includes(extname(p).toLowerCase());
}

/**
 * Checks a script file a job from a file path wants to run, against `rules`; returns the real
 * path to read it from. Throws EngineError: INVALID_REQUEST (not absolute), FILE_JOBS_OFF (no
 * script folders), PATH_NOT_ALLOWED, FILE_NOT_FOUND. Synchronous, as `realPathOf` is. Every rule is checked on where the path
 * leads before the file's existence is: a link in a script folder to a missing file elsewhere
 * is refused as a link to an existing one is, so the answers do not tell a caller what exists
 * outside the folders. Paths resolve as every containment check's do (`realPathOf`).
 */
export function checkScriptFile(path: string, rules: ScriptFileRules): string {
  if (!isAbsolute(path)) {
    throw new EngineError("INVALID_REQUEST", "filePath must be an absolute path");
  }
  if (rules.scriptRoots.length === 0) {
    throw new EngineError(
      "FILE_JOBS_OFF",
      `Jobs from a file path are off: an administrator can allow a folder of scripts with aft settings set scriptRoots '["/opt/scripts"]'`,
    );
  }
  const refused = (why: string) => new EngineError("PATH_NOT_ALLOWED", `"${path}" ${why}`);
  const abs = resolve(path);
  // The path as given, before the disk is touched: nothing is learnt about other files.
  if (!isScriptName(abs)) {
    throw refused(`is not a script file: only ${SCRIPT_EXTENSIONS.join(", ")} files run`);
  }
  // Each folder both as written and where it really is (a root given through a link).
  const both = (r: string) => [resolve(r), realPathOf(resolve(r)) ?? resolve(r)];
  if (!rules.scriptRoots.flatMap(both).some((r) => isWithin(r, abs))) {
    throw refused("is outside the folders allowed for scripts (setting scriptRoots)");
  }
  // Then where it really leads, links followed, whether or not the file is there.
  const real = realPathOf(abs);
  const realRoots = rules.scriptRoots.map((r) => realPathOf(resolve(r)));
  if (
    real === undefined || !isScriptName(real) ||
    !realRoots.some((r) => r !== undefined && isWithin(r, real))
  ) {
    throw refused("leads outside the script files allowed (setting scriptRoots)");
  }
  if (both(rules.dataDir).some((d) => isWithin(d, abs) || isWithin(d, real))) {
    throw refused("is inside the data directory, from which no script runs");
  }
  if (
    rules.localRoots.length > 0 &&
    !rules.localRoots.some((r) => isWithin(realPathOf(resolve(r)) ?? resolve(r), real))
  ) {
    throw refused("is outside the allowed folders (setting localRoots)");
  }
  let isFile = false;
  try {
    isFile = Deno.statSync(real).isFile;
  } catch { /* missing: told below */ }
  if (!isFile) {
    throw new EngineError("FILE_NOT_FOUND", `No script file "${path}" on the service's machine`);
  }
  return real;
}

/** Checks a file `aft run` runs: an absolute path to a file. Returns the path. */
export async function checkRunFile(path: string): Promise<string> {
  if (!isAbsolute(path)) {
    throw new EngineError("INVALID_REQUEST", "filePath must be an absolute path");
  }
  const st = await Deno.stat(path).catch(() => null);
  if (!st?.isFile) throw new EngineError("FILE_NOT_FOUND", `No script file "${path}"`);
  return resolve(path);
}

/** The name a job from a file shows: the file's base name. */
export function scriptNameOf(path: string): string {
  return basename(path);
}
