import assert from "node:assert/strict";
import fc from "fast-check";
import nodePath from "node:path";
import { posix } from "./path.ts";

/** Paths made of the parts that matter to path rules: slashes, dots, dotted names. */
const pathArb = fc.array(
  fc.constantFrom(
    "",
    "/",
    "//",
    ".",
    "..",
    "...",
    "a",
    "b.c",
    ".d",
    "e.",
    "f..g",
    "..h",
    " ",
    "\\",
  ),
  { maxLength: 8 },
).map((parts) => parts.join(""));

const node = nodePath.posix;

Deno.test("posix path functions give node:path's POSIX results for any mix of slashes and dots", () => {
  fc.assert(
    fc.property(pathArb, pathArb, pathArb, (a, b, c) => {
      assert.equal(posix.isAbsolute(a), node.isAbsolute(a), `isAbsolute(${JSON.stringify(a)})`);
      assert.equal(posix.normalize(a), node.normalize(a), `normalize(${JSON.stringify(a)})`);
      assert.equal(posix.join(a, b, c), node.join(a, b, c), `join(${JSON.stringify([a, b, c])})`);
      assert.equal(posix.join(), node.join());
      assert.equal(posix.resolve(a, b), node.resolve(a, b), `resolve(${JSON.stringify([a, b])})`);
      assert.equal(posix.dirname(a), node.dirname(a), `dirname(${JSON.stringify(a)})`);
      assert.equal(posix.basename(a), node.basename(a), `basename(${JSON.stringify(a)})`);
      assert.equal(posix.extname(a), node.extname(a), `extname(${JSON.stringify(a)})`);
      assert.equal(
        posix.relative(a, b),
        node.relative(a, b),
        `relative(${JSON.stringify([a, b])})`,
      );
    }),
    { numRuns: 5000 },
  );
});

Deno.test("posix resolve of a relative path starts from the working folder", () => {
  assert.equal(posix.resolve("x/../y"), `${Deno.cwd()}/y`);
  assert.equal(posix.resolve(), Deno.cwd());
  assert.equal(posix.resolve("/a", "b", "/c", "d"), "/c/d");
});
