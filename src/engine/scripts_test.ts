import assert from "node:assert/strict";
import { rejectsWith, withEngine } from "./_test_engine.ts";
import { MAX_STORED_SCRIPT_BYTES } from "./scripts.ts";

Deno.test("scripts: names are unique case-insensitively; get by ID or name; put replaces", async () => {
  await withEngine(async (engine) => {
    const a = await engine.scripts.create({ name: " My Job ", source: "Log(1);" });
    assert.equal(a.name, "My Job");
    await rejectsWith(engine.scripts.create({ name: "my job", source: "" }), "ALREADY_EXISTS");
    assert.equal((await engine.scripts.get("MY JOB")).id, a.id);
    assert.equal((await engine.scripts.get(a.id)).source, "Log(1);");
    const { script, replaced } = await engine.scripts.put({ name: "my job", source: "Log(2);" });
    assert.equal(replaced, true);
    assert.equal(script.id, a.id);
    assert.equal((await engine.scripts.update(a.id, { name: "Renamed" })).name, "Renamed");
    assert.deepEqual((await engine.scripts.list()).map((s) => [s.name, "source" in s]), [
      ["Renamed", false],
    ]);
    await rejectsWith(engine.scripts.get("nope"), "SCRIPT_NOT_FOUND");
  });
});

Deno.test("scripts: names with control characters, NUL or bidi overrides are refused", async () => {
  await withEngine(async (engine) => {
    for (const name of ["a\u001b[2Jb", "nul\u0000", "rtl\u202e", "line\nbreak", ""]) {
      await rejectsWith(engine.scripts.create({ name, source: "" }), "INVALID_NAME");
      await rejectsWith(engine.scripts.put({ name, source: "" }), "INVALID_NAME");
    }
    const s = await engine.scripts.create({ name: "ok", source: "" });
    await rejectsWith(engine.scripts.update(s.id, { name: "x\u2066" }), "INVALID_NAME");
    assert.equal((await engine.scripts.list()).length, 1);
  });
});

Deno.test("scripts: removing one a schedule runs is refused, naming it, unless forced", async () => {
  await withEngine(async (engine) => {
    await engine.scripts.create({ name: "Nightly Copy", source: "" });
    await engine.scripts.create({ name: "other", source: "" });
    await engine.schedules.create({ name: "at-two", script: "nightly copy", cron: "0 2 * * *" });
    await engine.schedules.create({ name: "at-three", script: "Nightly Copy", cron: "0 3 * * *" });
    await engine.schedules.create({ name: "keep", script: "other", cron: "0 3 * * *" });
    const msg = await rejectsWith(engine.scripts.remove("Nightly Copy"), "SCRIPT_IN_USE");
    assert.match(msg, /"at-three", "at-two"|"at-two", "at-three"/);
    assert.equal((await engine.schedules.list()).length, 3);
    const { script, schedules } = await engine.scripts.remove("nightly copy", { force: true });
    assert.equal(script.name, "Nightly Copy");
    assert.deepEqual(schedules.sort(), ["at-three", "at-two"]);
    assert.deepEqual((await engine.schedules.list()).map((s) => s.name), ["keep"]);
    await rejectsWith(engine.scripts.get("Nightly Copy"), "SCRIPT_NOT_FOUND");
    // A script no schedule runs goes without force.
    await engine.schedules.remove("keep");
    await engine.scripts.remove("other");
  });
});

Deno.test("scripts: renaming one a schedule runs is refused, naming it; a change of case or of the source is not", async () => {
  await withEngine(async (engine) => {
    const s = await engine.scripts.create({ name: "Nightly Copy", source: "" });
    await engine.scripts.create({ name: "free", source: "" });
    await engine.schedules.create({ name: "at-two", script: "nightly copy", cron: "0 2 * * *" });
    const msg = await rejectsWith(
      engine.scripts.update(s.id, { name: "Daily Copy" }),
      "SCRIPT_IN_USE",
    );
    assert.match(
      msg,
      /"Nightly Copy" is run by the schedule "at-two": remove it before the rename/,
    );
    assert.equal((await engine.scripts.get(s.id)).name, "Nightly Copy");
    assert.equal(
      (await engine.scripts.update(s.id, { name: "NIGHTLY copy" })).name,
      "NIGHTLY copy",
    );
    assert.equal((await engine.scripts.update(s.id, { source: "Exit(0);" })).source, "Exit(0);");
    // A script no schedule runs is renamed.
    assert.equal((await engine.scripts.update("free", { name: "freed" })).name, "freed");
    // Without its schedule, the script is renamed.
    await engine.schedules.remove("at-two");
    assert.equal((await engine.scripts.update(s.id, { name: "Daily Copy" })).name, "Daily Copy");
  });
});

Deno.test("scripts: a source over MAX_STORED_SCRIPT_BYTES of UTF-8 is refused by create, put and update; one at the limit is kept", async () => {
  await withEngine(async (engine) => {
    const atLimit = "//" + "x".repeat(MAX_STORED_SCRIPT_BYTES - 2);
    const s = await engine.scripts.create({ name: "big", source: atLimit });
    assert.equal((await engine.scripts.get("big")).source.length, MAX_STORED_SCRIPT_BYTES);
    // Counted in bytes: 400k three-byte characters are 1.2 MB.
    const over = "//" + "名".repeat(400_000);
    const msg = await rejectsWith(
      engine.scripts.create({ name: "b2", source: over }),
      "INVALID_REQUEST",
    );
    assert.match(
      msg,
      /1,200,002 bytes, and a stored script may be at most 1 MiB \(1,048,576 bytes\): run a larger one from a file/,
    );
    await rejectsWith(engine.scripts.put({ name: "big", source: over }), "INVALID_REQUEST");
    await rejectsWith(engine.scripts.update(s.id, { source: atLimit + "x" }), "INVALID_REQUEST");
    assert.equal((await engine.scripts.get("big")).source, atLimit);
    assert.equal((await engine.scripts.list()).length, 1);
  });
});
