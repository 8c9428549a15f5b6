import assert from "node:assert/strict";
import { cleanMarks, formatTimeline } from "./timings.ts";

Deno.test("formatTimeline orders marks from every thread and gives each its step and CPU", () => {
  const lines = formatTimeline([
    { label: "b", at: 1030, cpu: 12 },
    { label: "w", at: 1020, where: "worker", thread: "worker" },
    { label: "a", at: 1010, cpu: 10 },
  ], 1000);
  const body = lines.filter((l) => / [abw]$/.test(l));
  assert.equal(body.length, 3);
  assert.match(body[0]!, /^\s+10\.0 ms\s+\+\s+10\.0 ms\s+\+10\.0\s+a$/);
  assert.match(body[1]!, /^\s+20\.0 ms\s+\+\s+10\.0 ms\s+\[worker\] w$/);
  assert.match(body[2]!, /^\s+30\.0 ms\s+\+\s+10\.0 ms\s+\+2\.0\s+b$/);
});

Deno.test("cleanMarks keeps well-formed marks only, cut to size, control characters shown as ?", () => {
  const marks = cleanMarks([
    { label: "ok", at: 1, cpu: 2, where: "worker" },
    { label: 5, at: 1 },
    { label: "nan", at: NaN },
    null,
    "text",
    { label: "x".repeat(500), at: 2, cpu: "7" },
  ]);
  assert.deepEqual(marks, [
    { label: "ok", at: 1, cpu: 2, where: "worker" },
    { label: "x".repeat(100), at: 2 },
  ]);
  assert.deepEqual(cleanMarks({ length: 3 }), []);
  assert.equal(
    cleanMarks(Array.from({ length: 500 }, (_, i) => ({ label: "m", at: i }))).length,
    100,
  );
  const line = formatTimeline([{ label: "a\x1b[2Jb\nc", at: 5 }], 0).at(-1)!;
  assert.match(line, /a\?\[2Jb\?c$/);
});
