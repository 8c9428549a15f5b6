import assert from "node:assert/strict";
import { rejectsWith, withEngine } from "./_test_engine.ts";

Deno.test("settings: values are checked, stored and read back at once", async () => {
  await withEngine(async (engine) => {
    assert.deepEqual((await engine.settings.get()).scriptRoots, []);
    assert.equal(await engine.settings.set("allowCliRun", "true"), true);
    assert.equal((await engine.settings.get()).allowCliRun, true);
    assert.deepEqual(await engine.settings.set("scriptRoots", '["/opt/scripts"]'), [
      "/opt/scripts",
    ]);
    await rejectsWith(engine.settings.set("scriptRoots", '["relative/dir"]'), "INVALID_REQUEST");
    await rejectsWith(engine.settings.set("maxConcurrentJobs", "many"), "INVALID_REQUEST");
    await rejectsWith(engine.settings.set("nope", 1), "INVALID_REQUEST");
    // One bad change in an update stores none of them.
    await rejectsWith(
      engine.settings.update({ maxConcurrentJobs: 2, jobMemoryMiB: 1 }),
      "INVALID_REQUEST",
    );
    assert.equal((await engine.settings.get({ fresh: true })).maxConcurrentJobs, 4);
    assert.equal((await engine.settings.update({ maxConcurrentJobs: 2 })).maxConcurrentJobs, 2);
    await engine.settings.set("listen", "0.0.0.0:1");
    assert.deepEqual(await engine.settings.resetNetwork(), [
      "listen",
      "corsOrigins",
      "sessionLifetimeMinutes",
    ]);
    assert.equal((await engine.settings.get()).listen, "127.0.0.1:44399");
  });
});
