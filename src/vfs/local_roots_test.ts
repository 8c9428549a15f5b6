import assert from "node:assert/strict";
import { join } from "node:path";
import { checkLocalPath, isInside, LocalRootError } from "./local_roots.ts";

Deno.test("isInside() tests containment on path segments, not on string prefixes", () => {
  const root = join("/srv", "data");
  for (const p of ["", ".env", "..x", "...", "..", "../", ".hidden dir/.x"]) {
    const inside = !(p === ".." || p === "../");
    assert.equal(isInside(root, join(root, p)), inside, JSON.stringify(p));
  }
  assert.equal(isInside(root, join("/srv", "data2")), false, "a sibling with the root as prefix");
  assert.equal(isInside(root, join("/srv", "data", "..", "etc")), false);
  assert.equal(isInside(root, "/"), false);
  assert.equal(isInside("/", join("/srv", "..x")), true);
});

Deno.test("checkLocalPath() allows names starting with dots inside a root and refuses a way out", async () => {
  const root = await Deno.makeTempDir({ prefix: "aft-roots-" });
  const outside = await Deno.makeTempDir({ prefix: "aft-roots-out-" });
  try {
    await Deno.mkdir(join(root, "..x"));
    await Deno.writeTextFile(join(root, "..x", ".env"), "K=V");
    for (const p of ["..x/.env", "..x", "...", ".env", "..new/file"]) {
      assert.equal(await checkLocalPath(join(root, p), [root]), join(root, p));
    }
    await assert.rejects(checkLocalPath(join(root, "..", "x"), [root]), LocalRootError);
    await assert.rejects(checkLocalPath(`${root}x`, [root]), LocalRootError);
    if (Deno.build.os !== "windows") {
      await Deno.symlink(outside, join(root, "..link"));
      await assert.rejects(checkLocalPath(join(root, "..link", "f"), [root]), LocalRootError);
    }
  } finally {
    await Deno.remove(root, { recursive: true });
    await Deno.remove(outside, { recursive: true });
  }
});

Deno.test(
  "checkLocalPath() takes a link that leads nowhere where it points: out is out, whether its target exists or not",
  {
    ignore: Deno.build.os === "windows",
  },
  async () => {
    const root = await Deno.makeTempDir({ prefix: "aft-roots-" });
    const outside = await Deno.makeTempDir({ prefix: "aft-roots-out-" });
    try {
      await Deno.writeTextFile(join(outside, "there"), "x");
      await Deno.symlink(join(outside, "there"), join(root, "to-existing"));
      await Deno.symlink(join(outside, "missing"), join(root, "to-missing"));
      await Deno.symlink(join(outside, "missing-dir", "deeper"), join(root, "to-missing-deep"));
      // The same answer for both: a script cannot tell from it whether the place exists.
      for (const p of ["to-existing", "to-missing", "to-missing/below", "to-missing-deep"]) {
        await assert.rejects(checkLocalPath(join(root, p), [root]), LocalRootError, p);
      }
      // A dangling link that stays inside, and a link to a dangling link inside, are inside.
      await Deno.symlink(join(root, "not-yet"), join(root, "to-later"));
      await Deno.symlink("to-later", join(root, "relative-chain"));
      for (const p of ["to-later", "relative-chain", "relative-chain/x"]) {
        assert.equal(await checkLocalPath(join(root, p), [root]), join(root, p));
      }
      // A loop of links is nowhere, so in no root.
      await Deno.symlink(join(root, "loop-b"), join(root, "loop-a"));
      await Deno.symlink(join(root, "loop-a"), join(root, "loop-b"));
      await assert.rejects(checkLocalPath(join(root, "loop-a", "f"), [root]), LocalRootError);
    } finally {
      await Deno.remove(root, { recursive: true });
      await Deno.remove(outside, { recursive: true });
    }
  },
);
