/**
 * The short way into `aft run` and `aft start`: their few flags read without the command line
 * parser, so that neither loads commander (an npm package: the first npm import of a process
 * costs Deno about 0.1 s of CPU, more than the rest of `aft run`'s own modules, and most of an
 * `aft start`). Anything this does not know exactly (help, a misspelt or repeated flag, a value
 * that starts with "-", `--`) leaves the whole command line to `cli.ts`, which parses it as
 * always and says what is wrong: the two ways give the same options, so each command behaves
 * the same either way.
 *
 * @example
 * ```ts
 * parseRunArgs(["--data", "/tmp/d", "run", "-f", "x.syncjs"]);
 * // { data: "/tmp/d", file: "x.syncjs", progress: true }
 * parseStartArgs(["start", "-n", "Backup", "--wait"]); // { name: "Backup", wait: true }
 * parseRunArgs(["run", "--help"]); // undefined: cli.ts prints the help
 * ```
 * @module
 */

import type { RunOptions } from "./commands/run.ts";
import type { StartOptions } from "./commands/start.ts";
import { reportError } from "./errors.ts";
import { mark } from "./timings.ts";

/** A command's flags: the option each sets, a value it takes or gives, before the command too. */
type Flags = Record<string, { key: string; value?: boolean; global?: boolean }>;

/** Flags every command takes, before or after its name. */
const GLOBAL: Flags = {
  "--data": { key: "data", global: true },
  "--debug": { key: "debug", value: true, global: true },
};

/** A flag that takes a value, under each of `names` (a short and a long one). */
const valued = (key: string, ...names: string[]): Flags =>
  Object.fromEntries(names.map((n) => [n, { key }]));

/** Flags `aft run` and `aft start` share. */
const SHARED: Flags = {
  ...GLOBAL,
  ...valued("file", "-f", "--file"),
  ...valued("params", "-p", "--params"),
  "--timings": { key: "timings", value: true },
};

const RUN: Flags = {
  ...SHARED,
  "--no-progress": { key: "progress", value: false },
};

const START: Flags = {
  ...SHARED,
  ...valued("name", "-n", "--name"),
  ...valued("scriptid", "--scriptid"),
  ...valued("apikey", "-a", "--apikey"),
  ...valued("host", "--host"),
  ...valued("caCert", "--ca-cert"),
  "--wait": { key: "wait", value: true },
  "--insecure": { key: "insecure", value: true },
};

/**
 * The options of a command line that is `command` with `flags` and nothing else, or undefined
 * when `cli.ts` must parse it. A flag with `value` sets it and takes none; any other takes the
 * next word (or `--flag=value`), which may not be empty nor start with "-".
 */
function parseShort(
  args: readonly string[],
  command: string,
  flags: Flags,
): Record<string, string | boolean> | undefined {
  const out: Record<string, string | boolean> = {};
  let seen = false;
  for (let i = 0; i < args.length; i++) {
    const arg = args[i]!;
    if (!arg.startsWith("-")) {
      if (arg !== command || seen) return undefined;
      seen = true;
      continue;
    }
    const eq = arg.startsWith("--") ? arg.indexOf("=") : -1;
    const name = eq > 0 ? arg.slice(0, eq) : arg;
    const spec = Object.hasOwn(flags, name) ? flags[name] : undefined;
    if (!spec || (!seen && !spec.global) || Object.hasOwn(out, spec.key)) return undefined;
    if (spec.value === undefined) {
      const value = eq > 0 ? arg.slice(eq + 1) : args[++i];
      if (value === undefined || value === "" || value.startsWith("-")) return undefined;
      out[spec.key] = value;
    } else {
      if (eq > 0) return undefined;
      out[spec.key] = spec.value;
    }
  }
  return seen ? out : undefined;
}

/** The options of an `aft run` command line, or undefined when `cli.ts` must parse it. */
export function parseRunArgs(args: readonly string[]): RunOptions | undefined {
  const out = parseShort(args, "run", RUN);
  if (!out || typeof out.file !== "string") return undefined;
  return {
    file: out.file,
    ...(typeof out.params === "string" ? { params: out.params } : {}),
    ...(typeof out.data === "string" ? { data: out.data } : {}),
    ...(out.debug === true ? { debug: true } : {}),
    progress: out.progress !== false,
  };
}

/** The options of an `aft start` command line, or undefined when `cli.ts` must parse it. */
export function parseStartArgs(args: readonly string[]): StartOptions | undefined {
  const out = parseShort(args, "start", START);
  if (!out) return undefined;
  const { timings: _, ...opts } = out;
  return opts as StartOptions;
}

/**
 * Runs `aft run` or `aft start` when `args` is a command line this module knows; returns its
 * exit code, or undefined (nothing done) when `cli.ts` must take the command line.
 */
export async function runShort(args: readonly string[]): Promise<number | undefined> {
  const run = parseRunArgs(args);
  const start = run ? undefined : parseStartArgs(args);
  if (!run && !start) return undefined;
  mark("command line parsed (short way)");
  try {
    if (start) {
      const cmd = await import("./commands/start.ts");
      mark("command module loaded (start)");
      return await cmd.default("start", [], start);
    }
    // The Worker first, then the command: see warmEarly.
    await warmEarly(run!.data);
    const cmd = await import("./commands/run.ts");
    mark("command module loaded (run)");
    return await cmd.default("run", [], run!);
  } catch (err: unknown) {
    return reportError(err, (run ?? start)!.debug === true);
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
