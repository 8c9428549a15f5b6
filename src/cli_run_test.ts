import assert from "node:assert/strict";
import { parseRunArgs } from "./cli_run.ts";

Deno.test("parseRunArgs reads a plain aft run command line, global flags before run too", () => {
  assert.deepEqual(parseRunArgs(["run", "-f", "x.syncjs"]), { file: "x.syncjs", progress: true });
  assert.deepEqual(
    parseRunArgs([
      "--data",
      "/tmp/d",
      "--debug",
      "run",
      "--file=a b.js",
      "--params",
      '{"k":"v"}',
      "--no-progress",
      "--timings",
    ]),
    { file: "a b.js", params: '{"k":"v"}', data: "/tmp/d", debug: true, progress: false },
  );
});

Deno.test("parseRunArgs leaves to the full parser anything it does not know exactly", () => {
  for (
    const args of [
      ["run"], // no file: the parser says what is missing
      ["run", "--help"],
      ["run", "-f"],
      ["run", "-f", "-p"], // a value that starts with "-"
      ["run", "-f", ""],
      ["run", "-f", "a", "-f", "b"], // repeated
      ["run", "-f", "a", "--", "b"],
      ["run", "-f", "a", "extra"],
      ["run", "--fil", "a"], // misspelt
      ["-f", "a", "run"], // a run flag before run
      ["run", "--no-progress=1", "-f", "a"],
      ["start"],
      ["jobs", "run", "-f", "a"],
      ["run", "run", "-f", "a"],
      ["run", "--constructor", "a", "-f", "a"], // a name on Object.prototype
      ["run", "--__proto__", "-f", "a"],
    ]
  ) {
    assert.equal(parseRunArgs(args), undefined, args.join(" "));
  }
});
