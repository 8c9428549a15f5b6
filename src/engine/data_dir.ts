/**
 * The data directory: `--data DIR`, else `$AFT_HOME`, else the platform default (`~/.aft` on
 * Linux and macOS; `%ProgramData%\aft` for a Windows service, `%APPDATA%\aft` otherwise).
 *
 * @module
 */

import { join, resolve } from "../path.ts";
import { EngineError } from "./errors.ts";

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
    throw new EngineError(
      "DATA_DIR",
      "Cannot find a home folder for the data directory: use --data or AFT_HOME",
    );
  }
  return join(home, ".aft");
}

/**
 * Creates the data directory (mode 0700 on POSIX) if it does not exist. An existing one that
 * others may enter, list or write to (any group or world permission) is made private (0700),
 * saying so through `log`. When one others may write to cannot be made private, it is
 * refused: another user could swap the files the service trusts (its database, keys and
 * token); one they may only read is used as it is, with the line saying so (its files are
 * private, but their names and sizes show).
 */
export function ensureDataDir(
  dir: string,
  opts: { log?: (msg: string) => void } = {},
): void {
  // Synchronous calls: metadata the kernel answers from its caches in microseconds, where a
  // call through Deno's thread pool waits for a pool thread, a millisecond or more on a busy
  // machine (aft run's script Worker starts meanwhile): on every command's way.
  try {
    Deno.mkdirSync(dir, { recursive: true, mode: 0o700 });
  } catch (err) {
    throw new EngineError(
      "DATA_DIR",
      `Cannot create the data directory "${dir}": ${(err as Error).message}`,
      { cause: err },
    );
  }
  const st = Deno.statSync(dir);
  if (!st.isDirectory) {
    throw new EngineError("DATA_DIR", `The data directory "${dir}" is not a folder`);
  }
  const mode = st.mode ?? 0;
  if (Deno.build.os === "windows" || (mode & 0o077) === 0) return;
  const was = (mode & 0o777).toString(8).padStart(4, "0");
  const writable = (mode & 0o022) !== 0;
  const open = writable ? "writable by other users" : "readable by other users";
  try {
    Deno.chmodSync(dir, 0o700);
  } catch (err) {
    const why = (err as Error).message;
    if (!writable) {
      opts.log?.(
        `the data directory "${dir}" is ${open} (mode ${was}) and cannot be made private: ${why}`,
      );
      return;
    }
    throw new EngineError(
      "DATA_DIR",
      `The data directory "${dir}" is ${open} (mode ${was}) and cannot be made private: ${why}`,
      { cause: err },
    );
  }
  opts.log?.(`the data directory "${dir}" was ${open} (mode ${was}): made it private (0700)`);
}
