import assert from "node:assert/strict";
import { formatDateTime } from "./format_time.ts";

Deno.test("formatDateTime() understands Go layouts and YYYY-style tokens", () => {
  const d = new Date(2026, 0, 2, 3, 4, 5, 6);
  assert.equal(formatDateTime(d, "2006-01-02 15:04:05.000"), "2026-01-02 03:04:05.006");
  assert.equal(formatDateTime(d, "YYYYMMDD_HHmmss.SSS"), "20260102_030405.006");
  assert.equal(formatDateTime(d, "Mon 02 Jan 06"), "Fri 02 Jan 26");
  assert.equal(formatDateTime(d.getTime(), "YYYY"), "2026");
  assert.equal(formatDateTime(d, "backup-"), "backup-");
  assert.throws(() => formatDateTime("not a date", "YYYY"), /Invalid date/);
});
