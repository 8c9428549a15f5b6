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
 * others may write to (group or world writable) is made private (0700), saying so through
 * `log`; when that cannot be done, it is refused: another user could swap the files the
 * service trusts (its database, keys and token).
 */
export async function ensureDataDir(
  dir: string,
  opts: { log?: (msg: string) => void } = {},
): Promise<void> {
  try {
    await Deno.mkdir(dir, { recursive: true, mode: 0o700 });
  } catch (err) {
    throw new EngineError(
      "DATA_DIR",
      `Cannot create the data directory "${dir}": ${(err as Error).message}`,
      { cause: err },
    );
  }
  const st = await Deno.stat(dir);
  if (!st.isDirectory) {
    throw new EngineError("DATA_DIR", `The data directory "${dir}" is not a folder`);
  }
  const mode = st.mode ?? 0;
  if (Deno.build.os === "windows" || (mode & 0o022) === 0) return;
  const was = (mode & 0o777).toString(8).padStart(4, "0");
  try {
    await Deno.chmod(dir, 0o700);
  } catch (err) {
    throw new EngineError(
      "DATA_DIR",
      `The data directory "${dir}" is writable by other users (mode ${was}) and cannot be made private: ${
        (err as Error).message
      }`,
      { cause: err },
    );
  }
  opts.log?.(
    `the data directory "${dir}" was writable by other users (mode ${was}): made it private (0700)`,
  );
}
