/**
 * The short way into `aft run`: its few flags read without the command line parser, so that
 * running a script does not load commander (an npm package: the first npm import of a process
 * costs Deno about 0.1 s of CPU, more than the rest of `aft run`'s own modules). Anything this
 * does not know exactly (help, a misspelt or repeated flag, a value that starts with "-", `--`)
 * leaves the whole command line to `cli.ts`, which parses it as always and says what is wrong:
 * the two ways give the same options, so `aft run` behaves the same either way.
 *
 * @example
 * ```ts
 * parseRunArgs(["--data", "/tmp/d", "run", "-f", "x.syncjs"]);
 * // { data: "/tmp/d", file: "x.syncjs", progress: true }
 * parseRunArgs(["run", "--help"]); // undefined: cli.ts prints the help
 * ```
 * @module
 */

import type { RunOptions } from "./commands/run.ts";
import { reportError } from "./errors.ts";
import { mark } from "./timings.ts";

/** Flags that take a value, and the option each sets; `global` ones may come before `run`. */
const VALUES: Record<string, { key: "data" | "file" | "params"; global?: boolean }> = {
  "--data": { key: "data", global: true },
  "-f": { key: "file" },
  "--file": { key: "file" },
  "-p": { key: "params" },
  "--params": { key: "params" },
};

/** Flags without a value, and what each sets. */
const FLAGS: Record<
  string,
  { key: "debug" | "progress" | "timings"; value: boolean; global?: boolean }
> = {
  "--debug": { key: "debug", value: true, global: true },
  "--no-progress": { key: "progress", value: false },
  "--timings": { key: "timings", value: true },
};

/** The options of an `aft run` command line, or undefined when `cli.ts` must parse it. */
export function parseRunArgs(args: readonly string[]): RunOptions | undefined {
  const out: Partial<Record<string, string | boolean>> = {};
  let seenRun = false;
  for (let i = 0; i < args.length; i++) {
    const arg = args[i]!;
    if (!arg.startsWith("-")) {
      if (arg !== "run" || seenRun) return undefined;
      seenRun = true;
      continue;
    }
    const eq = arg.startsWith("--") ? arg.indexOf("=") : -1;
    const name = eq > 0 ? arg.slice(0, eq) : arg;
    const valued = Object.hasOwn(VALUES, name) ? VALUES[name] : undefined;
    const flag = Object.hasOwn(FLAGS, name) ? FLAGS[name] : undefined;
    const spec = valued ?? flag;
    if (!spec || (!seenRun && !spec.global) || out[spec.key] !== undefined) return undefined;
    if (valued) {
      const value = eq > 0 ? arg.slice(eq + 1) : args[++i];
      if (value === undefined || value === "" || value.startsWith("-")) return undefined;
      out[valued.key] = value;
    } else {
      if (eq > 0) return undefined;
      out[flag!.key] = flag!.value;
    }
  }
  if (!seenRun || typeof out.file !== "string") return undefined;
  return {
    file: out.file,
    ...(typeof out.params === "string" ? { params: out.params } : {}),
    ...(typeof out.data === "string" ? { data: out.data } : {}),
    ...(out.debug === true ? { debug: true } : {}),
    progress: out.progress !== false,
  };
}

/**
 * Runs `aft run` when `args` is a command line `parseRunArgs` knows; returns its exit code, or
 * undefined (nothing done) when `cli.ts` must take the command line.
 */
export async function runFast(args: readonly string[]): Promise<number | undefined> {
  const opts = parseRunArgs(args);
  if (!opts) return undefined;
  mark("command line parsed (short way)");
  try {
    // The Worker first, then the command: see warmEarly.
    await warmEarly(opts.data);
    const run = await import("./commands/run.ts");
    mark("command module loaded (run)");
    return await run.default("run", [], opts);
  } catch (err: unknown) {
    return reportError(err, opts.debug === true);
  }
}

/**
 * Starts the script's Worker now, so that it loads its modules (on its own thread) while this
 * process loads the engine and records the job: unless a service may take the job
 * (`service.json` in the data directory) or jobs go to a runner process (`AFT_RUNNER_PROCESS`).
 * A job refused later (allowCliRun off) leaves the Worker unused, and the process exits.
 * Creating a Worker holds this thread until the Worker's runtime exists, wherever it is done:
 * done first, before this thread loads Node's layer (node:path) and the engine, the Worker's
 * own start (its modules, Node's layer and node:vm, its first context) runs beside them and
 * is usually over before the job arrives.
 */
async function warmEarly(dataFlag: string | undefined): Promise<void> {
  try {
    if (Deno.env.get("AFT_RUNNER_PROCESS") === "1") return;
    let file = serviceFileQuick(dataFlag, (name) => Deno.env.get(name), Deno.build.os);
    if (file === undefined) {
      const { resolveDataDir } = await import("./engine/data_dir.ts");
      const { serviceFile } = await import("./engine/service_file.ts");
      file = serviceFile(resolveDataDir(dataFlag));
    }
    try {
      Deno.lstatSync(file);
      return;
    } catch { /* no service.json: no service takes the job */ }
    (await import("./runtime/runner/worker_pool.ts")).prewarmWorker();
  } catch {
    // Nothing lost: the Worker starts later, when the job needs it.
  }
}

/**
 * Where `service.json` is for `--data` `flag`, found as `resolveDataDir` finds the data
 * directory (the flag, else `$AFT_HOME`, else `$HOME/.aft`) but without node:path, whose first
 * import loads Node's layer: a path relative to the working folder, as given. Undefined where
 * the answer needs more (Windows, no home folder): the caller asks `engine/data_dir.ts` then.
 */
export function serviceFileQuick(
  flag: string | undefined,
  env: (name: string) => string | undefined,
  os: typeof Deno.build.os,
): string | undefined {
  if (os === "windows") return undefined;
  const dir = flag || env("AFT_HOME") || env("HOME") && `${env("HOME")}/.aft`;
  return dir ? `${dir.replace(/\/+$/, "")}/service.json` : undefined;
}
