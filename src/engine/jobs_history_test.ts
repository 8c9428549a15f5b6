import assert from "node:assert/strict";
import { join } from "node:path";
import { SqliteStore } from "../store/sqlite.ts";
import type { Caller } from "./access.ts";
import { rejectsWith, withEngine } from "./_test_engine.ts";
import type { Engine } from "./surface.ts";

const ui = { trigger: "ui" as const, caller: { kind: "local" } as Caller };

/** Runs `fn` with an engine whose store the test also holds (to end jobs as a runner would). */
async function withStore(fn: (engine: Engine, store: SqliteStore) => Promise<void>) {
  const dir = await Deno.makeTempDir();
  const store = new SqliteStore(join(dir, "aft.db"));
  try {
    await withEngine((engine) => fn(engine, store), { store });
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
}

Deno.test("list() filters by trigger and creation time, and refuses a bad trigger or time", async () => {
  await withEngine(async (engine) => {
    await engine.scripts.create({ name: "s", source: "" });
    const a = await engine.jobs.submit({ ...ui, trigger: "api", target: { scriptName: "s" } });
    const b = await engine.jobs.submit({ ...ui, target: { scriptName: "s" } });
    assert.deepEqual((await engine.jobs.list({ trigger: "ui" })).jobs.map((j) => j.id), [b.id]);
    assert.deepEqual((await engine.jobs.list({ trigger: "api" })).jobs.map((j) => j.id), [a.id]);
    const all = await engine.jobs.list({ from: a.createdAt, to: "2999-01-01T00:00:00Z" });
    assert.deepEqual(all.jobs.map((j) => j.id), [b.id, a.id]);
    assert.deepEqual((await engine.jobs.list({ to: a.createdAt })).jobs, []);
    assert.deepEqual((await engine.jobs.list({ from: "2999-01-01" })).jobs, []);
    await rejectsWith(engine.jobs.list({ trigger: "cron" }), "INVALID_REQUEST");
    const msg = await rejectsWith(engine.jobs.list({ from: "yesterday" }), "INVALID_REQUEST");
    assert.equal(msg, 'from takes a date and time, not "yesterday"');
  });
});

Deno.test("hourly() gives every hour of the last day, oldest first, with what ended in it", async () => {
  await withStore(async (engine, store) => {
    await engine.scripts.create({ name: "s", source: "" });
    const end = async (status: "succeeded" | "failed" | "halted", at: string, bytes = 0) => {
      const j = await engine.jobs.submit({ ...ui, target: { scriptName: "s" } });
      await store.jobs.update(j.id, { status, finishedAt: at, bytesTransferred: bytes });
    };
    await end("succeeded", "2026-03-01T22:05:00.000Z", 100);
    await end("succeeded", "2026-03-01T22:55:00.000Z", 50);
    await end("failed", "2026-03-01T22:10:00.000Z", 7);
    await end("halted", "2026-03-02T09:00:00.000Z");
    await end("succeeded", "2026-02-28T09:00:00.000Z", 1000); // over a day ago
    await engine.jobs.submit({ ...ui, target: { scriptName: "s" } }); // still queued
    const hours = await engine.jobs.hourly({ now: new Date("2026-03-02T09:30:00.000Z") });
    assert.equal(hours.length, 24);
    assert.equal(hours[0]!.hour, "2026-03-01T10:00:00.000Z");
    assert.equal(hours[23]!.hour, "2026-03-02T09:00:00.000Z");
    const at = (h: string) => hours.find((x) => x.hour === h);
    assert.deepEqual(at("2026-03-01T22:00:00.000Z"), {
      hour: "2026-03-01T22:00:00.000Z",
      succeeded: 2,
      failed: 1,
      halted: 0,
      bytes: 157,
    });
    assert.equal(at("2026-03-02T09:00:00.000Z")!.halted, 1);
    const sum = hours.reduce((a, h) => a + h.succeeded + h.failed + h.halted, 0);
    assert.equal(sum, 4);
    assert.equal((await engine.jobs.hourly({ hours: 2 })).length, 2);
    await rejectsWith(engine.jobs.hourly({ hours: 0 }), "INVALID_REQUEST");
  });
});

Deno.test("rerun() starts the same script with the same parameters, also after a rename", async () => {
  await withEngine(async (engine) => {
    const s = await engine.scripts.create({ name: "Nightly", source: "" });
    const first = await engine.jobs.submit({
      ...ui,
      trigger: "api",
      target: { scriptName: "nightly" },
      params: { character: "goofy" },
    });
    await engine.scripts.update(s.id, { name: "Nightly 2" });
    const again = await engine.jobs.rerun(first.id, ui);
    assert.notEqual(again.id, first.id);
    assert.equal(again.scriptId, s.id);
    assert.equal(again.scriptName, "Nightly 2");
    assert.equal(again.trigger, "ui");
    assert.deepEqual(again.params, { character: "goofy" });
    await engine.scripts.remove(s.id);
    const msg = await rejectsWith(engine.jobs.rerun(first.id, ui), "SCRIPT_NOT_FOUND");
    assert.match(msg, /"Nightly"/);
    await rejectsWith(engine.jobs.rerun("nope", ui), "JOB_NOT_FOUND");
  });
});

Deno.test("follow() and log() read a long log in order, every line once", async () => {
  await withStore(async (engine, store) => {
    await engine.scripts.create({ name: "s", source: "" });
    const job = await engine.jobs.submit({ ...ui, target: { scriptName: "s" } });
    const n = 2500;
    await store.jobs.appendLogs(
      Array.from({ length: n }, (_, i) => ({
        jobId: job.id,
        seq: i + 1,
        ts: new Date().toISOString(),
        level: "info" as const,
        text: `line ${i + 1}`,
      })),
    );
    await engine.jobs.halt(job.id);
    const seqs: number[] = [];
    for await (const e of engine.jobs.follow(job.id, { after: 7 })) {
      if (e.type === "line") seqs.push(e.line.seq);
    }
    assert.deepEqual(seqs, Array.from({ length: n - 7 }, (_, i) => i + 8));
    const page = await engine.jobs.log(job.id, 100, 10);
    assert.deepEqual(page.lines.map((l) => l.seq), [
      101,
      102,
      103,
      104,
      105,
      106,
      107,
      108,
      109,
      110,
    ]);
  });
});
