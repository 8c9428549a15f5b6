/**
 * The `aft` executable. A runner process (`aft __runner`, started by the engine for each job)
 * goes straight to its loop; everything else goes to the command line in `src/cli.ts`. The
 * runner does not load the command line parser: each `aft run` starts one, and the parser
 * (an npm package) took about 10 ms of its start.
 *
 * @module
 */

async function main(args: string[]): Promise<number> {
  if (args[0] === "__runner") {
    const { runnerMain } = await import("./src/runtime/runner/runner_main.ts");
    return await runnerMain();
  }
  const { main } = await import("./src/cli.ts");
  return await main(args);
}

if (import.meta.main) {
  Deno.exit(await main(Deno.args));
}
