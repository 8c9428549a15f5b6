import assert from "node:assert/strict";
import { formatLine, jobEndLine } from "./log_line.ts";

const ESC = "\u001b";

Deno.test("formatLine and jobEndLine print text from a job escaped: no raw control characters, lines kept", () => {
  const line = formatLine({
    seq: 1,
    ts: "2026-12-04T10:00:00.000Z",
    level: "info",
    text: `a${ESC}[2J\nb`,
  });
  // The further line indented under the text (engine/log_text.ts).
  assert.equal(line, `2026-12-04T10:00:00.000Z INFO  a\\u001b[2J\n${" ".repeat(31)}b`);
  // The error may quote a server (a DISCONNECT's text, an FTP reply): a title change, a clear
  // screen, a carriage return that would hide what came before it.
  assert.equal(
    jobEndLine("j1", "failed", `Uncaught Error: ${ESC}]0;pwned\u0007 x\ry\nnext`),
    "aft: job j1 failed: Uncaught Error: \\u001b]0;pwned\\u0007 x\\u000dy\nnext",
  );
  assert.equal(jobEndLine("j2", "succeeded"), "aft: job j2 succeeded");
  assert.equal(jobEndLine("j3", "failed", "exit code 3"), "aft: job j3 failed: exit code 3");
});
