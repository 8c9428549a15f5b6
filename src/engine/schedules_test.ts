import assert from "node:assert/strict";
import { join } from "node:path";
import { SqliteStore } from "../store/sqlite.ts";
import { createCore } from "./engine.ts";
import { createJobOps } from "./jobs.ts";
import { nextRun, Scheduler, validateCron } from "./schedules.ts";
import type { EngineCore } from "./types.ts";

/** Two processes' worth of engine parts on one database, each with its scheduler. */
async function withSchedulers(
  fn: (a: { core: EngineCore; s: Scheduler; log: string[] }, b: { s: Scheduler }) => Promise<void>,
) {
  const dir = await Deno.makeTempDir();
  const parts = [];
  for (let i = 0; i < 2; i++) {
    const store = new SqliteStore(join(dir, "aft.db"));
    await store.migrate();
    const core = createCore(dir, store);
    let woke = 0;
    const jobs = createJobOps(core, {
      owner: `${i}:0`,
      stopping: () => false,
      wake: () => woke++,
      halt: () => Promise.resolve(undefined),
    });
    const log: string[] = [];
    parts.push({
      core,
      log,
      s: new Scheduler(core, { fire: jobs.fireSchedule, log: (m) => log.push(m) }),
    });
  }
  try {
    await fn(parts[0]!, parts[1]!);
  } finally {
    for (const p of parts) await p.core.close();
    await Deno.remove(dir, { recursive: true });
  }
}

async function addSchedule(core: EngineCore, name: string, script: string, dueAt: string) {
  const s = await core.store.schedules.create({
    name,
    script,
    cron: "0 0 1 1 *",
    params: { who: name },
    enabled: true,
    nextRunAt: dueAt,
  });
  return s;
}

Deno.test("cron expressions are checked and give their next run", () => {
  assert.equal(validateCron("0 2 * * *"), null);
  assert.match(validateCron("nope")!, /^Bad cron expression "nope"/);
  assert.match(validateCron("0 0 30 2 *")!, /never fires/);
  // Problems in aft's words: the field count, the @ forms it takes, a step past its range.
  assert.equal(
    validateCron("banana"),
    'Bad cron expression "banana": it has 1 field; it takes five (minute hour day month weekday), six with seconds first, or seven with a year last',
  );
  assert.equal(
    validateCron("@reboot"),
    'Bad cron expression "@reboot": of the @ forms, schedules take @hourly, @daily, @weekly, @monthly, @yearly',
  );
  assert.equal(validateCron("@daily"), null);
  assert.equal(
    validateCron("*/1000 * * * *"),
    `Bad cron expression "*/1000 * * * *": a step (/N) is larger than its field's range`,
  );
  assert.equal(nextRun("0 0 1 1 *", new Date(2030, 5, 1)), new Date(2031, 0, 1).toISOString());
});

Deno.test("a due slot fires once, whichever of two schedulers gets there first", async () => {
  await withSchedulers(async (a, b) => {
    await a.core.store.scripts.create({ name: "tick", source: "" });
    const due = new Date(Date.now() - 1000).toISOString();
    const sch = await addSchedule(a.core, "yearly", "TICK", due);
    await Promise.all([a.s.tick(), b.s.tick(), a.s.tick(), b.s.tick()]);
    const jobs = await a.core.store.jobs.list();
    assert.equal(jobs.length, 1);
    assert.equal(jobs[0]!.trigger, "schedule");
    assert.equal(jobs[0]!.scriptName, "tick");
    assert.deepEqual(jobs[0]!.params, { who: "yearly" });
    const after = (await a.core.store.schedules.get(sch.id))!;
    assert.equal(after.lastJobId, jobs[0]!.id);
    assert.ok(new Date(after.nextRunAt!) > new Date());
    // Nothing is due now: ticking again fires nothing.
    await a.s.tick();
    assert.equal((await a.core.store.jobs.list()).length, 1);
  });
});

Deno.test("a schedule whose script is gone skips its run and moves on", async () => {
  await withSchedulers(async (a) => {
    const sch = await addSchedule(
      a.core,
      "orphan",
      "removed",
      new Date(Date.now() - 1000).toISOString(),
    );
    await a.s.tick();
    assert.equal((await a.core.store.jobs.list()).length, 0);
    assert.match(a.log.join("\n"), /no stored script named "removed"; skipping this run/);
    assert.ok(new Date((await a.core.store.schedules.get(sch.id))!.nextRunAt!) > new Date());
  });
});

Deno.test("runs missed while down are caught up with one run at start-up", async () => {
  await withSchedulers(async (a) => {
    await a.core.store.scripts.create({ name: "tick", source: "" });
    // Due three years ago: several slots missed.
    await addSchedule(
      a.core,
      "yearly",
      "tick",
      new Date(Date.now() - 3 * 366 * 86400_000).toISOString(),
    );
    await a.s.tick(true);
    await a.s.tick(true);
    assert.equal((await a.core.store.jobs.list()).length, 1);
    assert.match(
      a.log.join("\n"),
      /catching up on runs missed while the service was down: one run/,
    );
  });
});
