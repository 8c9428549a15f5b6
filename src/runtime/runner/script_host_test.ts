/**
 * The script host with a real Worker (no runner process): how a script's end, errors and log
 * lines reach the runner.
 */

import assert from "node:assert/strict";
import type { LogLevel } from "../../store/types.ts";
import type { JobSpec } from "../protocol/messages.ts";
import { type ScriptEnd, startScript } from "./script_host.ts";

/** Runs `source` to its end and returns how it ended and what it logged. */
export async function runSource(
  source: string,
  job: Partial<JobSpec> = {},
): Promise<ScriptEnd & { logs: { level: LogLevel; text: string }[] }> {
  const logs: { level: LogLevel; text: string }[] = [];
  const script = startScript({
    jobId: "t1",
    scriptName: "t",
    source,
    fileName: "t.syncjs",
    params: {},
    quoteSource: true,
    limits: { localRoots: [] },
    ...job,
  }, {
    request: () => Promise.resolve(null),
    log: (level, text) => void logs.push({ level, text }),
    progress() {},
  });
  return { ...await script.done, logs };
}

Deno.test("a script that does not compile ends with file:line:column and its line with a caret", async () => {
  const end = await runSource('var x = 1;\nLog.Info("a" + (x, 2);\nvar y;\n', {
    fileName: "broken.syncjs",
  });
  assert.equal(end.code, 1);
  assert.equal(
    end.error,
    [
      "Uncaught SyntaxError: missing ) after argument list at broken.syncjs:2:22",
      '  2 | Log.Info("a" + (x, 2);',
      "    |                      ^",
    ].join("\n"),
  );
});

Deno.test("a syntax error of a job that may not quote its source gives the position only", async () => {
  const end = await runSource("var ok = 1;\nvar secret = root:x:0:0;\n", {
    fileName: "/etc/x.syncjs",
    quoteSource: false,
  });
  assert.equal(end.code, 1);
  assert.equal(end.error, "Uncaught SyntaxError: Unexpected token at /etc/x.syncjs:2:18");
});

Deno.test("a SyntaxError the script throws while running keeps its stack, not a compile position", async () => {
  const end = await runSource('Log.Info("start");\nJSON.parse("{");\n');
  assert.equal(end.code, 1);
  assert.match(end.error ?? "", /^Uncaught SyntaxError: .*JSON/);
  assert.match(end.error ?? "", /\n {4}at t\.syncjs:2:6/);
  assert.deepEqual(end.logs, [{ level: "info", text: "start" }]);
});
