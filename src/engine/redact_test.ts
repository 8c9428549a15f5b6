import assert from "node:assert/strict";
import { Redactor } from "./redact.ts";

Deno.test("Redactor hides every known value, longest first, and its JSON and URL forms", () => {
  const r = new Redactor();
  r.add("abc");
  r.add("abcdef");
  r.add('p"w/d');
  r.add("");
  r.add(undefined);
  assert.equal(r.apply("x abcdef y abc z"), "x *** y *** z");
  assert.equal(r.apply(JSON.stringify({ pass: 'p"w/d' })), '{"pass":"***"}');
  assert.equal(r.apply("u=" + encodeURIComponent('p"w/d')), "u=***");
  assert.equal(r.apply("nothing here"), "nothing here");
});
