import assert from "node:assert/strict";
import { progressText } from "./_progress.ts";

Deno.test("the progress line shows counts, totals, percent, rate and the end of the path", () => {
  const p = {
    files: 2,
    filesTotal: 5,
    bytes: 120 * 1048576,
    bytesTotal: 256 * 1048576,
    rate: 110 * 1048576,
    path: "/out/reports/2026/big.bin",
  };
  assert.equal(
    progressText(p, 100),
    "  2/5 files  120.0 MiB/256.0 MiB (46%)  110.0 MiB/s  /out/reports/2026/big.bin",
  );
  const narrow = progressText(p, 60);
  assert.equal(narrow.length, 59);
  assert.ok(narrow.includes("…") && narrow.endsWith("g.bin"), narrow);
  assert.equal(
    progressText({ files: 0, bytes: 0, rate: 0, path: "/x" }, 80),
    "  0 files  0 B  0 B/s  /x",
  );
});

Deno.test("the progress line shows a file name's control characters escaped, never raw", () => {
  const p = { files: 1, bytes: 0, rate: 0, path: "/in/a\u001b]0;pwned\u0007\nb.txt" };
  const line = progressText(p, 200);
  assert.equal(line, "  1 files  0 B  0 B/s  /in/a\\u001b]0;pwned\\u0007\\u000ab.txt");
  assert.ok(![...progressText(p, 30)].some((c) => c.charCodeAt(0) < 0x20));
});
