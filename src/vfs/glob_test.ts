import assert from "node:assert/strict";
import { hasGlob, matchGlob } from "./glob.ts";

Deno.test("matchGlob() handles *, ?, classes, alternatives and escapes", async (t) => {
  const cases: [string, string, boolean][] = [
    ["*.csv", "orders.csv", true],
    ["*.csv", "orders.CSV", false],
    ["*.csv", "a/b.csv", false],
    ["*", "", true],
    ["?.txt", "a.txt", true],
    ["?.txt", "ab.txt", false],
    ["[abc]*", "banana", true],
    ["[!abc]*", "banana", false],
    ["[^abc]*", "xyz", true],
    ["[a-c]1", "b1", true],
    ["report-{a,b}?.txt", "report-b1.txt", true],
    ["report-{a,b}?.txt", "report-c1.txt", false],
    ["\\*.txt", "*.txt", true],
    ["\\*.txt", "a.txt", false],
    ["a+b (1).txt", "a+b (1).txt", true],
    ["résumé ☃*", "résumé ☃ 1", true],
    ["[unclosed", "[unclosed", true],
  ];
  for (const [mask, name, want] of cases) {
    await t.step(`${mask} ~ ${name}`, () => assert.equal(matchGlob(mask, name), want));
  }
});

Deno.test("hasGlob() tells masks from plain names", () => {
  assert.equal(hasGlob("/out/*.csv"), true);
  assert.equal(hasGlob("/out/a{1,2}"), true);
  assert.equal(hasGlob("/out/plain name.csv"), false);
});
