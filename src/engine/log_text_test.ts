import assert from "node:assert/strict";
import { logLineText } from "./log_text.ts";

const TS = "2026-12-04T10:00:00.000Z";

Deno.test("logLineText() prints time, level and text, and indents the text's further lines so that none passes for aft's own", () => {
  assert.equal(logLineText({ ts: TS, level: "info", text: "hello" }), `${TS} INFO  hello`);
  const forged = logLineText({
    ts: TS,
    level: "info",
    text: `ok\n${TS} ERROR the job failed\n\tat x`,
  });
  const lines = forged.split("\n");
  assert.equal(lines.length, 3);
  assert.equal(lines[0], `${TS} INFO  ok`);
  assert.equal(lines[1], `${" ".repeat(31)}${TS} ERROR the job failed`);
  assert.equal(lines[2], `${" ".repeat(31)}\tat x`);
  for (const l of lines.slice(1)) assert.ok(!l.startsWith("2026"), l);
});

Deno.test("logLineText() escapes carriage returns and terminal escapes, which could overwrite a line", () => {
  const text = logLineText({ ts: TS, level: "warn", text: "50%\r100%\u001b[2K\u001b[1Adone" });
  assert.equal(text, `${TS} WARN  50%\\u000d100%\\u001b[2K\\u001b[1Adone`);
  // Line and paragraph separators, and NEL: lines to many tools, so escaped too.
  const seps = logLineText({ ts: TS, level: "info", text: `a\u2028${TS} ERROR x\u2029b\u0085c` });
  assert.equal(seps, `${TS} INFO  a\\u2028${TS} ERROR x\\u2029b\\u0085c`);
});
