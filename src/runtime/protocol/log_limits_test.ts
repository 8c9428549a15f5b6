import assert from "node:assert/strict";
import { cutLine, endCut, LINE_OVERHEAD_BYTES, LogBudget, utf8Length } from "./log_limits.ts";

const bytes = (s: string) => new TextEncoder().encode(s).length;

Deno.test("utf8Length() agrees with TextEncoder, lone surrogates included", () => {
  for (const s of ["", "abc", "é", "€", "😀", "a😀b", "\ud800", "x\udc00y", "\ud83d"]) {
    assert.equal(utf8Length(s), bytes(s), JSON.stringify(s));
  }
});

Deno.test("cutLine() keeps short lines and cuts long ones within the limit, never inside a character", () => {
  assert.equal(cutLine("short", 1024), "short");
  for (const unit of ["a", "é", "€", "😀"]) {
    const long = unit.repeat(3000);
    const cut = cutLine(long, 1024);
    assert.ok(bytes(cut) <= 1024, `${unit}: ${bytes(cut)}`);
    assert.ok(!cut.includes("\ufffd"), unit);
    assert.match(cut, new RegExp(`^(${unit})+ … \\[line cut: ${bytes(long)} bytes`, "u"));
  }
});

Deno.test("LogBudget counts text and overhead, then drops and counts every further line", () => {
  const b = new LogBudget({ maxLineBytes: 1024, maxBytes: 100 });
  assert.equal(b.admit("0123456789"), "0123456789");
  assert.equal(b.used, 10 + LINE_OVERHEAD_BYTES);
  assert.equal(b.admit("x".repeat(20)), "x".repeat(20));
  assert.equal(b.admit("over"), "over"); // the limit was not reached before this line
  assert.equal(b.admit("dropped"), undefined);
  assert.equal(b.admit("é"), undefined);
  assert.deepEqual(b.dropped, { lines: 2, bytes: 7 + 2 });
});

Deno.test("LogBudget.admitParts() gives a cut line's start and size, which endCut() shows as admit() does", () => {
  const a = new LogBudget({ maxLineBytes: 1024, maxBytes: 1 << 20 });
  const b = new LogBudget({ maxLineBytes: 1024, maxBytes: 1 << 20 });
  assert.deepEqual(a.admitParts("short"), { text: "short" });
  assert.equal(b.admit("short"), "short");
  const long = "é".repeat(3000);
  const parts = a.admitParts(long)!;
  assert.equal(parts.cutFrom, 6000);
  assert.ok(long.startsWith(parts.text) && !parts.text.includes(" … [line cut"));
  assert.equal(endCut(parts.text, parts.cutFrom!, 1024), b.admit(long));
  assert.equal(a.used, b.used);
});
