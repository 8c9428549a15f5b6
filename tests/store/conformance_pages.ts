/**
 * Conformance steps for what the web console's pages need of the store: jobs listed by trigger
 * and creation time, finished jobs per hour, log pages, the last caller of an API key, and
 * schedule changes. Run on every store by `conformance.ts`.
 *
 * @module
 */

import assert from "node:assert/strict";
import { rejectsWith, type Step } from "./conformance.ts";

const input = {
  scriptId: null,
  scriptName: "s",
  filePath: null,
  params: {},
  trigger: "api" as const,
};

/** The steps, in the suite's order. */
export const pageSteps: Step[] = [
  ["jobs.list() filters by trigger and by a range of creation times", async (c) => {
    const a = await c.open();
    const api = await a.jobs.create(input);
    const ui = await a.jobs.create({ ...input, trigger: "ui" });
    const sch = await a.jobs.create({ ...input, trigger: "schedule" });
    assert.deepEqual((await a.jobs.list({ trigger: "ui" })).map((j) => j.id), [ui.id]);
    assert.deepEqual(await a.jobs.list({ createdTo: api.createdAt }), []);
    const all = await a.jobs.list({ createdFrom: api.createdAt, createdTo: "9999" });
    assert.deepEqual(all.map((j) => j.id), [sch.id, ui.id, api.id]);
    assert.deepEqual(await a.jobs.list({ createdFrom: "9999" }), []);
  }],
  [
    "jobs.hourly() counts finished jobs and their bytes by the hour they ended and status",
    async (c) => {
      const a = await c.open();
      const end = async (status: "succeeded" | "failed", at: string, bytes: number) => {
        const j = await a.jobs.create(input);
        await a.jobs.update(j.id, { status, finishedAt: at, bytesTransferred: bytes });
      };
      await end("succeeded", "2026-03-01T21:59:59.000Z", 1);
      await end("succeeded", "2026-03-01T22:00:00.000Z", 10);
      await end("succeeded", "2026-03-01T22:59:00.000Z", 20);
      await end("failed", "2026-03-01T22:30:00.000Z", 5);
      await end("failed", "2026-03-01T23:10:00.000Z", 0);
      await a.jobs.create(input); // queued: not counted
      assert.deepEqual(await a.jobs.hourly("2026-03-01T22:00:00.000Z"), [
        { hour: "2026-03-01T22", status: "failed", count: 1, bytes: 5 },
        { hour: "2026-03-01T22", status: "succeeded", count: 2, bytes: 30 },
        { hour: "2026-03-01T23", status: "failed", count: 1, bytes: 0 },
      ]);
    },
  ],
  ["apikeys.touch() records the time and the caller's address", async (c) => {
    const a = await c.open();
    const b = await c.open();
    const k = await a.apikeys.create({
      name: "CI",
      prefix: "abc",
      hash: "h1",
      allow: ["127.0.0.1"],
      scopes: ["jobs:start"],
    });
    assert.equal(k.lastCallerIp, null);
    await a.apikeys.touch(k.id, "::1");
    const seen = (await b.apikeys.getByHash("h1"))!;
    assert.equal(seen.lastCallerIp, "::1");
    assert.ok(seen.lastUsedAt);
  }],
  [
    "schedules.update() changes the given fields only; a taken name is ALREADY_EXISTS",
    async (c) => {
      const a = await c.open();
      const base = { script: "s", cron: "* * * * *", params: {}, enabled: true, nextRunAt: null };
      const s = await a.schedules.create({ ...base, name: "One" });
      await a.schedules.create({ ...base, name: "Two" });
      const u = await a.schedules.update(s.id, {
        name: " Uno ",
        cron: "0 2 * * *",
        enabled: false,
        params: { k: "v" },
        nextRunAt: "2026-03-02T02:00:00.000Z",
      });
      assert.deepEqual(
        { ...u, createdAt: s.createdAt },
        {
          ...s,
          name: "Uno",
          cron: "0 2 * * *",
          enabled: false,
          params: { k: "v" },
          nextRunAt: "2026-03-02T02:00:00.000Z",
        },
      );
      assert.equal((await a.schedules.get("uno"))!.id, s.id);
      assert.equal((await a.schedules.update(s.id, {})).name, "Uno");
      await rejectsWith(
        a.schedules.update(s.id, { name: "TWO" }),
        "ALREADY_EXISTS",
      );
      await rejectsWith(
        a.schedules.update("nope", { enabled: true }),
        "NOT_FOUND",
      );
    },
  ],
  ["jobs.logs() with a limit gives that many lines after the given one, in order", async (c) => {
    const a = await c.open();
    const j = await a.jobs.create(input);
    const line = (seq: number) => ({
      jobId: j.id,
      seq,
      ts: "2026-03-01T00:00:00.000Z",
      level: "info" as const,
      text: `${seq}`,
    });
    await a.jobs.appendLogs([1, 2, 3, 4, 5].map(line));
    assert.deepEqual((await a.jobs.logs(j.id, 1, 2)).map((l) => l.seq), [2, 3]);
    assert.deepEqual((await a.jobs.logs(j.id, 3)).map((l) => l.seq), [4, 5]);
    assert.deepEqual(await a.jobs.logs(j.id, 5, 10), []);
  }],
  [
    "jobs.lastLogSeq() is the job's own last line, 0 before its first and for no such job",
    async (c) => {
      const a = await c.open();
      const j = await a.jobs.create(input);
      const other = await a.jobs.create(input);
      const line = (jobId: string, seq: number) => ({
        jobId,
        seq,
        ts: "2026-03-01T00:00:00.000Z",
        level: "info" as const,
        text: `${seq}`,
      });
      assert.equal(await a.jobs.lastLogSeq(j.id), 0);
      await a.jobs.appendLogs([1, 2, 3].map((n) => line(j.id, n)));
      await a.jobs.appendLogs([1, 2, 3, 4, 5, 6, 7].map((n) => line(other.id, n)));
      assert.equal(await a.jobs.lastLogSeq(j.id), 3);
      assert.equal(await a.jobs.lastLogSeq(other.id), 7);
      assert.equal(await a.jobs.lastLogSeq("no-such-job"), 0);
    },
  ],
];
