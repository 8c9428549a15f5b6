import assert from "node:assert/strict";
import fc from "fast-check";
import { hasGlob, matchGlob, MAX_ALTERNATIVES } from "./glob.ts";
import { isVfsError } from "./types.ts";

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

Deno.test("matchGlob() with many stars against a long name it does not match answers (a regular expression backtracked for minutes)", () => {
  const mask = "*a".repeat(30) + "*b";
  assert.equal(matchGlob(mask, "a".repeat(5000)), false);
  assert.equal(matchGlob(mask, "a".repeat(5000) + "b"), true);
  assert.equal(matchGlob("*/*", "a/b"), true);
  assert.equal(matchGlob("*", "a/b"), false);
});

Deno.test("a bad mask is one clear INVALID_PATH error naming it", () => {
  assert.throws(
    () => matchGlob("[z-a]*.csv", "b.csv"),
    (e) =>
      isVfsError(e, "INVALID_PATH") &&
      e.message === 'The mask "[z-a]*.csv" has the range z-a backwards (write a-z)',
  );
  const many = "{a,b}".repeat(11); // 2,048 alternatives
  assert.throws(
    () => matchGlob(many, "ab"),
    (e) => isVfsError(e, "INVALID_PATH") && e.message.includes(`more than ${MAX_ALTERNATIVES}`),
  );
  assert.equal(matchGlob("{a,b}".repeat(10), "ab".repeat(5)), true);
});

/**
 * What masks meant when they were regular expressions (the earlier implementation, kept here
 * as the reference the matcher must agree with on masks short enough for it).
 */
function reference(mask: string): RegExp {
  let re = "";
  let braces = 0;
  const esc = (c: string) => c.replace(/[.*+?^${}()|[\]\\/]/g, "\\$&");
  for (let i = 0; i < mask.length; i++) {
    const c = mask[i]!;
    if (c === "\\" && i + 1 < mask.length) re += esc(mask[++i]!);
    else if (c === "*") re += "[^/]*";
    else if (c === "?") re += "[^/]";
    else if (c === "[") {
      const end = mask.indexOf("]", i + 2);
      if (end < 0) {
        re += "\\[";
        continue;
      }
      let body = mask.slice(i + 1, end);
      const negate = body[0] === "!" || body[0] === "^";
      if (negate) body = body.slice(1);
      re += `[${negate ? "^" : ""}${body.replace(/[\\\]^]/g, "\\$&")}]`;
      i = end;
    } else if (c === "{") {
      braces++;
      re += "(?:";
    } else if (c === "}" && braces > 0) {
      braces--;
      re += ")";
    } else if (c === "," && braces > 0) re += "|";
    else re += esc(c);
  }
  return new RegExp(`^${re}${")".repeat(braces)}$`, "u");
}

Deno.test("matchGlob() agrees with the masks' earlier meaning on random masks and names", () => {
  const maskChar = fc.constantFrom(
    "a",
    "b",
    "/",
    ".",
    "*",
    "?",
    "[",
    "]",
    "!",
    "-",
    "{",
    "}",
    ",",
    "\\",
  );
  const nameChar = fc.constantFrom("a", "b", "/", ".", "-", "!", ",", "]");
  fc.assert(
    fc.property(
      fc.array(maskChar, { maxLength: 10 }).map((a) => a.join("")),
      fc.array(nameChar, { maxLength: 8 }).map((a) => a.join("")),
      (mask, name) => {
        let want: boolean;
        try {
          want = reference(mask).test(name);
        } catch {
          return; // not a mask the earlier code could compile either ([b-a])
        }
        assert.equal(matchGlob(mask, name), want, `${mask} ~ ${name}`);
      },
    ),
    { numRuns: 20000 },
  );
});
