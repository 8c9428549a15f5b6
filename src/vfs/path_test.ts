import assert from "node:assert/strict";
import { basename, dirname, joinPath, normalizePath, relativeTo } from "./path.ts";
import { isVfsError } from "./types.ts";

Deno.test("normalizePath() makes absolute POSIX paths and refuses to climb above the root", async (t) => {
  const cases: [string, string][] = [
    ["", "/"],
    ["/", "/"],
    ["a//b/./c/../d/", "/a/b/d"],
    ["/a b/ü ☃/x\\y", "/a b/ü ☃/x\\y"],
    ["/a/..", "/"],
    // Already normal (returned as they are) next to near misses that are not.
    ["/...", "/..."],
    ["/a/..b/.c/c..", "/a/..b/.c/c.."],
    ["/.", "/"],
    ["/a/.", "/a"],
    ["/a/./b", "/a/b"],
    ["/a/b/", "/a/b"],
    ["a", "/a"],
  ];
  for (const [input, want] of cases) {
    await t.step(JSON.stringify(input), () => assert.equal(normalizePath(input), want));
  }
  for (const bad of ["/..", "../x", "/a/../../b", "/a\0b", "/a\0", "/x/../.."]) {
    await t.step(`refuses ${JSON.stringify(bad)}`, () => {
      assert.throws(() => normalizePath(bad), (e) => isVfsError(e, "INVALID_PATH"));
    });
  }
});

Deno.test("joinPath(), dirname(), basename() and relativeTo() agree on edge cases", () => {
  assert.equal(joinPath("/a", "b/", "/c"), "/a/b/c");
  assert.equal(dirname("/a/b"), "/a");
  assert.equal(dirname("/a"), "/");
  assert.equal(dirname("/"), "/");
  assert.equal(basename("/a/b.csv"), "b.csv");
  assert.equal(basename("/"), "");
  assert.equal(relativeTo("/a", "/a/b/c"), "b/c");
  assert.equal(relativeTo("/", "/x"), "x");
  assert.equal(relativeTo("/a", "/a"), "");
  assert.equal(relativeTo("/a", "/ab"), undefined);
});
