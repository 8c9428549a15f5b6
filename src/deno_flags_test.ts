import assert from "node:assert/strict";
import { DENO_RUN_FLAGS, RUN_FLAGS, V8_FLAGS, v8FlagsArg } from "./deno_flags.ts";
import { runnerCommand } from "./runtime/service/runner_pool.ts";
import { selfCommand } from "./os_service/self_command.ts";
import { aftCommand } from "../tests/e2e/_cli.ts";

const config = JSON.parse(
  await Deno.readTextFile(new URL("../deno.json", import.meta.url)),
) as { tasks: Record<string, string> };

/** The `deno run|test|compile` commands of a task (a task may chain several with &&). */
function denoCommands(task: string): string[][] {
  return task.split("&&").map((c) => c.trim().split(/\s+/)).filter((w) =>
    w[0] === "deno" && ["run", "test", "compile"].includes(w[1]!)
  );
}

Deno.test("every task that runs aft's code, tests or benchmarks runs it with aft's V8 flags", () => {
  const flag = v8FlagsArg();
  assert.equal(flag, `--v8-flags=${V8_FLAGS.join(",")}`);
  const missing: string[] = [];
  for (const [name, task] of Object.entries(config.tasks)) {
    for (const cmd of denoCommands(task)) {
      // The preflight installs test tools, the console's build bundles its files: neither runs
      // aft's own modules.
      if (cmd.includes("tests/preflight.ts") || cmd.includes("src/ui/build.ts")) continue;
      if (!cmd.includes(flag)) missing.push(`${name}: ${cmd.join(" ")}`);
    }
  }
  assert.deepEqual(missing, []);
  // deno task aft is RUN_FLAGS exactly, as the tests' aft and a service's command line are.
  assert.deepEqual(denoCommands(config.tasks.aft!)[0]!.slice(2, -1), [...RUN_FLAGS]);
});

Deno.test("aft's command lines from a checkout carry aft's flags: tests' aft, an OS service's, a runner's", () => {
  if (Deno.env.get("AFT_BIN")) return; // the tests' aft is the binary, whose flags are baked in
  const [, run, ...rest] = aftCommand();
  assert.equal(run, "run");
  assert.deepEqual(rest.slice(0, RUN_FLAGS.length), [...RUN_FLAGS]);
  const service = selfCommand();
  assert.deepEqual(service.slice(2, 2 + RUN_FLAGS.length), [...RUN_FLAGS]);
  // A runner: aft's flags, with its heap limit among the V8 flags (one --v8-flags).
  const runner = runnerCommand(300);
  assert.deepEqual(runner.args.slice(1, 1 + DENO_RUN_FLAGS.length), [...DENO_RUN_FLAGS]);
  const v8 = runner.args.filter((a) => a.startsWith("--v8-flags="));
  assert.deepEqual(v8, [`--v8-flags=${[...V8_FLAGS, "--max-old-space-size=300"].join(",")}`]);
});
