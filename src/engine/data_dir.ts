/**
 * The data directory: `--data DIR`, else `$AFT_HOME`, else the platform default (`~/.aft` on
 * Linux and macOS; `%ProgramData%\aft` for a Windows service, `%APPDATA%\aft` otherwise).
 *
 * @module
 */

import { join, resolve } from "node:path";
import { CliError } from "../errors.ts";

/** Resolves the data directory from the flag, the environment and the platform. */
export function resolveDataDir(flag?: string): string {
  if (flag) return resolve(flag);
  const env = Deno.env.get("AFT_HOME");
  if (env) return resolve(env);
  if (Deno.build.os === "windows") {
    const base = Deno.env.get("AFT_WINDOWS_SERVICE") === "1"
      ? Deno.env.get("ProgramData")
      : Deno.env.get("APPDATA");
    if (base) return join(base, "aft");
  }
  const home = Deno.env.get("HOME") ?? Deno.env.get("USERPROFILE");
  if (!home) {
    throw new CliError("Cannot find a home folder for the data directory: use --data or AFT_HOME");
  }
  return join(home, ".aft");
}

/** Creates the data directory (mode 0700 on POSIX) if it does not exist. */
export async function ensureDataDir(dir: string): Promise<void> {
  try {
    await Deno.mkdir(dir, { recursive: true, mode: 0o700 });
  } catch (err) {
    throw new CliError(`Cannot create the data directory "${dir}": ${(err as Error).message}`, 1, {
      cause: err,
    });
  }
  const st = await Deno.stat(dir);
  if (!st.isDirectory) throw new CliError(`The data directory "${dir}" is not a folder`);
}
