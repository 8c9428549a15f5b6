import assert from "node:assert/strict";
import { rejectsWith, withEngine } from "./_test_engine.ts";

Deno.test("schedules: checked when made (cron, script, params, name), removed by name or ID", async () => {
  await withEngine(async (engine) => {
    await engine.scripts.create({ name: "s", source: "" });
    const sch = await engine.schedules.create({
      name: "nightly",
      script: "S",
      cron: "0 2 * * *",
      params: '{"k":"v"}',
    });
    assert.deepEqual(sch.params, { k: "v" });
    assert.ok(new Date(sch.nextRunAt!) > new Date());
    assert.match(
      await rejectsWith(
        engine.schedules.create({ name: "x", script: "s", cron: "nope" }),
        "INVALID_CRON",
      ),
      /Bad cron expression "nope"/,
    );
    await rejectsWith(
      engine.schedules.create({ name: "x", script: "missing", cron: "0 2 * * *" }),
      "SCRIPT_NOT_FOUND",
    );
    await rejectsWith(
      engine.schedules.create({ name: "x", script: "s", cron: "0 2 * * *", params: "[1]" }),
      "INVALID_REQUEST",
    );
    await rejectsWith(
      engine.schedules.create({ name: "NIGHTLY", script: "s", cron: "0 2 * * *" }),
      "ALREADY_EXISTS",
    );
    await rejectsWith(
      engine.schedules.create({ name: "bad\u0007", script: "s", cron: "0 2 * * *" }),
      "INVALID_NAME",
    );
    assert.equal((await engine.schedules.get("Nightly")).id, sch.id);
    await engine.schedules.remove(sch.id);
    await rejectsWith(engine.schedules.remove("nightly"), "SCHEDULE_NOT_FOUND");
    await rejectsWith(engine.schedules.get("nightly"), "SCHEDULE_NOT_FOUND");
  });
});
