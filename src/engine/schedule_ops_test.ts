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

Deno.test("update() changes a schedule as create checks it; disabling clears its next run, enabling sets it", async () => {
  await withEngine(async (engine) => {
    await engine.scripts.create({ name: "a", source: "" });
    await engine.scripts.create({ name: "b", source: "" });
    const s = await engine.schedules.create({ name: "n", script: "a", cron: "0 2 * * *" });
    await engine.schedules.create({ name: "other", script: "a", cron: "0 2 * * *" });
    const off = await engine.schedules.update("N", { enabled: false });
    assert.equal(off.enabled, false);
    assert.equal(off.nextRunAt, null);
    const on = await engine.schedules.update(s.id, { enabled: true, cron: "*/5 * * * *" });
    assert.equal(on.enabled, true);
    assert.equal(on.cron, "*/5 * * * *");
    const next = new Date(on.nextRunAt!);
    assert.ok(next > new Date() && next.getTime() - Date.now() <= 5 * 60_000);
    const moved = await engine.schedules.update(s.id, {
      name: "renamed",
      script: "B",
      params: { k: "v" },
    });
    assert.deepEqual([moved.name, moved.script, moved.params], ["renamed", "B", { k: "v" }]);
    assert.equal(moved.nextRunAt, on.nextRunAt);
    await rejectsWith(engine.schedules.update(s.id, { cron: "nope" }), "INVALID_CRON");
    await rejectsWith(engine.schedules.update(s.id, { script: "zz" }), "SCRIPT_NOT_FOUND");
    await rejectsWith(engine.schedules.update(s.id, { params: "[1]" }), "INVALID_REQUEST");
    await rejectsWith(engine.schedules.update(s.id, { name: "OTHER" }), "ALREADY_EXISTS");
    await rejectsWith(engine.schedules.update(s.id, { name: "x\u202e" }), "INVALID_NAME");
    await rejectsWith(engine.schedules.update("nope", { enabled: true }), "SCHEDULE_NOT_FOUND");
    assert.equal((await engine.schedules.get(s.id)).name, "renamed");
  });
});

Deno.test("runNow() starts the schedule's script with its parameters and leaves its slots alone", async () => {
  await withEngine(async (engine) => {
    await engine.scripts.create({ name: "a", source: "" });
    const s = await engine.schedules.create({
      name: "n",
      script: "A",
      cron: "0 2 * * *",
      params: { k: "v" },
    });
    const job = await engine.schedules.runNow("n", { trigger: "ui", caller: { kind: "local" } });
    assert.equal(job.scriptName, "a");
    assert.equal(job.trigger, "ui");
    assert.deepEqual(job.params, { k: "v" });
    const after = await engine.schedules.get(s.id);
    assert.equal(after.nextRunAt, s.nextRunAt);
    assert.equal(after.lastJobId, null);
    await rejectsWith(
      engine.schedules.runNow("nope", { trigger: "ui", caller: { kind: "local" } }),
      "SCHEDULE_NOT_FOUND",
    );
  });
});

Deno.test("preview() gives the words and the next five runs as the scheduler computes them", async () => {
  await withEngine(async (engine) => {
    const from = new Date(2026, 2, 1, 22, 10); // local time: cron reads the service's zone
    const p = await engine.schedules.preview("30 2 * * *", { from });
    assert.equal(p.description, "At 02:30, every day");
    assert.equal(p.timeZone, Intl.DateTimeFormat().resolvedOptions().timeZone);
    assert.deepEqual(
      p.next,
      [2, 3, 4, 5, 6].map((d) => new Date(2026, 2, d, 2, 30).toISOString()),
    );
    const { nextRun } = await import("./schedules.ts");
    assert.equal(p.next[0], nextRun("30 2 * * *", from));
    assert.equal((await engine.schedules.preview("* * * * *", { count: 3 })).next.length, 3);
    const once = await engine.schedules.preview("0 0 0 1 1 * 2030", { from });
    assert.deepEqual(once.next, [new Date(2030, 0, 1).toISOString()]);
    await rejectsWith(engine.schedules.preview("61 * * * *"), "INVALID_CRON");
  });
});
