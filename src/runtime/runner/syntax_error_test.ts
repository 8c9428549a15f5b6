import assert from "node:assert/strict";
import { describeSyntaxError, locateSyntaxError } from "./syntax_error.ts";

Deno.test("locateSyntaxError() gives 1-based line and column, and nothing for valid source", async () => {
  assert.deepEqual(await locateSyntaxError("var a = 1;\r\nvar = 2;"), { line: 2, column: 5 });
  assert.equal(await locateSyntaxError("var a = 1; Log.Info(a);"), undefined);
});

Deno.test("describeSyntaxError() keeps tabs under the caret, cuts long lines and hides control characters", async () => {
  const tabbed = await describeSyntaxError("\tvar = 1;", "t.syncjs", "Unexpected token '='", true);
  assert.equal(
    tabbed,
    "Uncaught SyntaxError: Unexpected token '=' at t.syncjs:1:6\n  1 | \tvar = 1;\n    | \t    ^",
  );
  const long = "x".repeat(500) + " = = 1;" + "y".repeat(500);
  const out = (await describeSyntaxError(long, "l.syncjs", "Unexpected token '='", true))
    .split("\n");
  assert.equal(out[0], "Uncaught SyntaxError: Unexpected token '=' at l.syncjs:1:504");
  assert.ok(out[1]!.length < 140, out[1]);
  assert.equal(out[2]!.indexOf("^"), out[1]!.indexOf("= = 1") + 2);
  const ctl = await describeSyntaxError(
    "a\u001b[31m b",
    "c.syncjs",
    "Unexpected identifier 'b'",
    true,
  );
  assert.ok(!ctl.includes("\u001b"), ctl);
});

Deno.test("describeSyntaxError() without quoting drops the line and the token V8 names", async () => {
  assert.equal(
    await describeSyntaxError(
      "root:x:0:0:root:/root",
      "/etc/passwd",
      "Unexpected token ':'",
      false,
    ),
    "Uncaught SyntaxError: Unexpected token at /etc/passwd:1:9",
  );
});
