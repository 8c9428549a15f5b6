import assert from "node:assert/strict";
import { findSyntaxError } from "./syntax.ts";

Deno.test("findSyntaxError() accepts valid SyncJS, including modern syntax", () => {
  assert.equal(
    findSyntaxError('var r = VirtualFSByName("in").Stat("/a");\nif (!r.Ok()) Exit(1);'),
    undefined,
  );
  assert.equal(
    findSyntaxError("const f = (a, ...b) => a ?? b?.[0];\nclass A { #x = 1n; }"),
    undefined,
  );
  assert.equal(findSyntaxError(""), undefined);
});

Deno.test("findSyntaxError() gives the line, column and span of the first error", () => {
  const src = 'Log("a");\nvar x = ;\nLog("b");';
  const e = findSyntaxError(src)!;
  assert.equal(e.line, 2);
  assert.equal(e.column, 9);
  assert.equal(src.slice(e.from, e.to), ";");
  assert.equal(e.message, "Unexpected token");
});

Deno.test("findSyntaxError() marks what the runner refuses: return at top level, import", () => {
  assert.match(findSyntaxError("return 1;")!.message, /return/);
  assert.ok(findSyntaxError('import x from "y";'));
});

Deno.test("findSyntaxError() marks an unterminated string and a missing bracket at the end", () => {
  const s = findSyntaxError('Log("abc');
  assert.ok(s);
  assert.equal(s.line, 1);
  const b = findSyntaxError("if (a) {\n  Log(1);\n");
  assert.ok(b);
  assert.ok(b.from <= "if (a) {\n  Log(1);\n".length && b.to >= b.from);
});
