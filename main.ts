/**
 * The `aft` executable. A runner process (`aft __runner`, started by the engine for each job)
 * goes straight to its loop; `aft run` and `aft start` take the short way of `src/cli_short.ts`
 * when their command line is a plain one; everything else goes to `src/cli.ts`. The
 * first three do not load the command line parser (an npm package: the first one a process
 * imports costs it about 0.1 s of CPU).
 *
 * `--timings` (or `AFT_TIMINGS=1`) prints the start-up timeline on stderr at exit
 * (`src/timings.ts`).
 *
 * @module
 */

import { enableTimings, mark, printTimeline } from "./src/timings.ts";

async function main(args: string[]): Promise<number> {
  if (args[0] === "__runner") {
    mark("main module loaded", "runner");
    const { runnerMain } = await import("./src/runtime/runner/runner_main.ts");
    return await runnerMain();
  }
  const end = args.indexOf("--");
  if ((end < 0 ? args : args.slice(0, end)).includes("--timings")) enableTimings();
  mark("main module loaded");
  // `aft run` and `aft start` go the short way when they can: no command line parser to load.
  const { runShort } = await import("./src/cli_short.ts");
  const ran = await runShort(args);
  if (ran !== undefined) return ran;
  const { main } = await import("./src/cli.ts");
  mark("command line loaded");
  return await main(args);
}

if (import.meta.main) {
  const code = await main(Deno.args);
  if (Deno.args[0] !== "__runner") printTimeline();
  Deno.exit(code);
}
