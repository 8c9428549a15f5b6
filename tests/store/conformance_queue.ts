/**
 * The queue half of the store conformance suite: jobs and their logs, claims (also by three
 * connections at once), leases, the node table, schedule slots and signals.
 *
 * @module
 */

import assert from "node:assert/strict";
import type { JobRecord, Store, StoreChannel } from "../../src/store/types.ts";
import { rejectsWith, type Step } from "./conformance.ts";
import { within } from "../fixtures/within.ts";

const input = {
  scriptId: null,
  scriptName: "Backup",
  filePath: null,
  params: {} as Record<string, string>,
  trigger: "api" as const,
};

/** Resolves with the first payload on `channel` that `match` accepts. */
async function nextSignal(
  s: Store,
  channel: StoreChannel,
  match: (p: string) => boolean = () => true,
): Promise<{ payload: Promise<string>; stop: () => Promise<void> }> {
  let got!: (p: string) => void;
  const payload = new Promise<string>((r) => got = r);
  const stop = await s.signals!.listen(channel, (p) => match(p) && got(p));
  return { payload, stop };
}

export const queueSteps: Step[] = [
  ["jobs: create, get, update, list with filters and pagination, newest first", async (c) => {
    const s = await c.open();
    const made: JobRecord[] = [];
    for (let i = 0; i < 5; i++) {
      made.push(
        await s.jobs.create({
          ...input,
          scriptName: i % 2 ? "Backup" : "Report",
          params: { i: String(i), quote: `'"` },
        }),
      );
    }
    const file = await s.jobs.create({
      ...input,
      scriptName: "x.syncjs",
      filePath: "/srv/scripts/x.syncjs",
      trigger: "cli",
    });
    const j = made[0]!;
    assert.deepEqual(
      [j.status, j.node, j.exitCode, j.error, j.startedAt, j.bytesTransferred, j.peakRssBytes],
      ["queued", null, null, null, null, 0, null],
    );
    assert.deepEqual(await s.jobs.get(j.id), j);
    assert.deepEqual((await s.jobs.get(file.id))?.filePath, "/srv/scripts/x.syncjs");
    assert.equal(await s.jobs.get("nope"), undefined);
    const all = await s.jobs.list();
    assert.deepEqual(all.map((x) => x.id), [file, ...made].map((x) => x.id).sort().reverse());
    assert.deepEqual(
      (await s.jobs.list({ script: "BACKUP" })).map((x) => x.params.i),
      ["3", "1"],
    );
    const page1 = await s.jobs.list({ limit: 2 });
    const page2 = await s.jobs.list({ limit: 2, before: page1.at(-1)!.id });
    assert.deepEqual([...page1, ...page2].map((x) => x.id), all.slice(0, 4).map((x) => x.id));
    const t = "2026-01-01T00:00:01.234Z";
    const u = await s.jobs.update(j.id, {
      status: "succeeded",
      exitCode: 0,
      error: `it's "fine"`,
      node: "n1",
      startedAt: "2026-01-01T00:00:00.000Z",
      finishedAt: t,
      bytesTransferred: 5_000_000_000,
      peakRssBytes: 123_456_789,
      params: { changed: "yes" },
    });
    assert.deepEqual(u, await s.jobs.get(j.id));
    assert.deepEqual(
      [u.status, u.exitCode, u.error, u.finishedAt, u.bytesTransferred, u.params],
      ["succeeded", 0, `it's "fine"`, t, 5_000_000_000, { changed: "yes" }],
    );
    assert.deepEqual((await s.jobs.list({ status: "succeeded" })).map((x) => x.id), [j.id]);
    assert.deepEqual(await s.jobs.update(j.id, {}), u);
    await rejectsWith(s.jobs.update("nope", { status: "failed" }), "NOT_FOUND");
    assert.deepEqual(await s.jobs.countByStatus(), {
      queued: 5,
      running: 0,
      succeeded: 1,
      failed: 0,
      halted: 0,
    });
    assert.deepEqual(await s.jobs.totals(), { bytes: 5_000_000_000 });
  }],

  ["jobs.create() with an audit entry stores both, or neither when the entry fails", async (c) => {
    const s = await c.open();
    const entry = (job: JobRecord) => ({
      actorKind: "apikey",
      actorName: "ci",
      ip: "192.0.2.1",
      action: "job.start",
      target: job.id,
      detail: { script: job.scriptName, params: Object.keys(job.params) },
      outcome: "ok" as const,
    });
    const job = await s.jobs.create({ ...input, params: { n: "1" } }, entry);
    const [e] = await s.audit.list({ action: "job.start" });
    assert.equal(e?.target, job.id);
    assert.deepEqual(e?.detail, { script: "Backup", params: ["n"] });
    assert.equal(e?.ip, "192.0.2.1");
    assert.equal((await s.jobs.get(job.id))?.status, "queued");
    // An entry the store refuses (no actor): the job is not stored either.
    const before = (await s.jobs.list({})).length;
    await assert.rejects(
      s.jobs.create(input, (j) => ({ ...entry(j), actorKind: null as unknown as string })),
    );
    assert.equal((await s.jobs.list({})).length, before);
    assert.equal((await s.audit.list({})).length, 1);
    // Jobs created at once each get their own entry.
    const many = await Promise.all(
      Array.from(
        { length: 20 },
        (_, i) => s.jobs.create({ ...input, params: { i: `${i}` } }, entry),
      ),
    );
    const targets = new Set((await s.audit.list({ limit: 100 })).map((a) => a.target));
    for (const j of many) assert.ok(targets.has(j.id), `entry for job ${j.id}`);
    assert.equal(targets.size, 21);
  }],
  ["job logs: in order after a seq, a repeated seq replaces, NUL becomes U+FFFD", async (c) => {
    const s = await c.open();
    const j = await s.jobs.create(input);
    const ts = "2026-01-01T00:00:00.000Z";
    const lines = Array.from({ length: 2500 }, (_, i) => ({
      jobId: j.id,
      seq: i + 1,
      ts,
      level: "info" as const,
      text: `line ${i + 1} 'q' "d" 日本`,
    }));
    await s.jobs.appendLogs(lines.slice(1000));
    await s.jobs.appendLogs(lines.slice(0, 1000));
    await s.jobs.appendLogs([]);
    assert.deepEqual(await s.jobs.logs(j.id), lines);
    assert.deepEqual((await s.jobs.logs(j.id, 2498)).map((l) => l.seq), [2499, 2500]);
    await s.jobs.appendLogs([
      { jobId: j.id, seq: 2, ts, level: "warn", text: "first" },
      { jobId: j.id, seq: 2, ts, level: "error", text: "a\u0000b" },
    ]);
    assert.deepEqual((await s.jobs.logs(j.id, 1))[0], {
      jobId: j.id,
      seq: 2,
      ts,
      level: "error",
      text: "a\uFFFDb",
    });
    assert.deepEqual(await s.jobs.logs("nope"), []);
  }],

  ["purge() removes finished jobs older than the cutoff, with their logs", async (c) => {
    const s = await c.open();
    const old = await s.jobs.create(input);
    await s.jobs.update(old.id, { status: "succeeded", finishedAt: "2020-01-01T00:00:00.000Z" });
    await s.jobs.appendLogs([{
      jobId: old.id,
      seq: 1,
      ts: "2020-01-01T00:00:00.000Z",
      level: "info",
      text: "t",
    }]);
    const fresh = await s.jobs.create(input);
    await s.jobs.update(fresh.id, { status: "failed", finishedAt: new Date().toISOString() });
    const queued = await s.jobs.create(input);
    assert.equal(await s.jobs.purge("2021-01-01T00:00:00.000Z"), 1);
    assert.equal(await s.jobs.get(old.id), undefined);
    assert.deepEqual(await s.jobs.logs(old.id), []);
    assert.ok(await s.jobs.get(fresh.id));
    assert.ok(await s.jobs.get(queued.id));
  }],

  ["claim() takes the oldest queued job once, for its node and process", async (c) => {
    const s = await c.open();
    const b = await c.open();
    const ids = [];
    for (let i = 0; i < 4; i++) ids.push((await s.jobs.create(input)).id);
    const x = (await s.jobs.claim("node-a", { owner: "100:1" }))!;
    const y = (await b.jobs.claim("node-b"))!;
    assert.deepEqual([x.id, y.id], ids.slice(0, 2));
    assert.deepEqual([x.status, x.node, y.node], ["running", "node-a", "node-b"]);
    assert.deepEqual([x.owner, y.owner], ["100:1", null]);
    assert.deepEqual(await b.jobs.get(x.id), x);
    assert.ok(x.startedAt && !Number.isNaN(Date.parse(x.startedAt)));
    await s.jobs.claim("n");
    await s.jobs.claim("n");
    assert.equal(await s.jobs.claim("n"), undefined);
  }],

  ["finishAndClaim() records a job's end and takes the oldest queued job at once", async (c) => {
    const s = await c.open();
    const b = await c.open();
    const ids = [];
    for (let i = 0; i < 3; i++) ids.push((await s.jobs.create(input)).id);
    const first = (await s.jobs.claim("node-a", { owner: "1:1" }))!;
    const end = { status: "succeeded" as const, exitCode: 0, finishedAt: new Date().toISOString() };
    const one = await s.jobs.finishAndClaim(first.id, end, { node: "node-b", owner: "2:2" });
    assert.deepEqual(
      [one.job.id, one.job.status, one.job.exitCode, one.job.finishedAt],
      [first.id, "succeeded", 0, end.finishedAt],
    );
    assert.deepEqual(
      [one.next?.id, one.next?.status, one.next?.node, one.next?.owner],
      [ids[1], "running", "node-b", "2:2"],
    );
    assert.ok(one.next?.startedAt);
    assert.deepEqual(await b.jobs.get(first.id), one.job);
    assert.deepEqual(await b.jobs.get(ids[1]!), one.next);
    // The claimed job holds a lease of `leaseSeconds`, as claim() gives.
    const two = await s.jobs.finishAndClaim(ids[1]!, end, { node: "node-c", leaseSeconds: 0 });
    assert.equal(two.next?.id, ids[2]);
    assert.deepEqual(
      (await b.jobs.failExpired(() => "lost")).map((j) => j.id),
      [ids[2]],
      "the ended job has no lease; the claimed one's expired",
    );
    // Nothing left to claim: the end is still recorded.
    const last = await s.jobs.create(input);
    await s.jobs.claim("node-a");
    const three = await s.jobs.finishAndClaim(last.id, { status: "failed", exitCode: 1 }, {
      node: "node-a",
    });
    assert.deepEqual([three.job.status, three.next], ["failed", undefined]);
  }],

  ["finishAndClaim() of an unknown job claims nothing", async (c) => {
    const s = await c.open();
    const queued = await s.jobs.create(input);
    await rejectsWith(
      s.jobs.finishAndClaim("nope", { status: "succeeded" }, { node: "n" }),
      "NOT_FOUND",
    );
    assert.equal((await s.jobs.get(queued.id))!.status, "queued");
  }],

  ["failOrphans() fails only the named jobs still running, with a log line", async (c) => {
    const s = await c.open();
    for (let i = 0; i < 3; i++) await s.jobs.create(input);
    const gone = (await s.jobs.claim("me", { owner: "100:1" }))!;
    const alive = (await s.jobs.claim("me", { owner: "200:1" }))!;
    const ended = (await s.jobs.claim("me", { owner: "100:1" }))!;
    await s.jobs.update(ended.id, { status: "succeeded", finishedAt: ended.startedAt! });
    const queued = await s.jobs.create(input);
    await s.jobs.appendLogs([{
      jobId: gone.id,
      seq: 1,
      ts: gone.startedAt!,
      level: "info",
      text: "hi",
    }]);
    assert.deepEqual(
      await s.jobs.failOrphans([gone.id, ended.id, queued.id, "nope"], "gone"),
      [gone.id],
    );
    const failed = (await s.jobs.get(gone.id))!;
    assert.deepEqual([failed.status, failed.exitCode, failed.error], ["failed", 1, "gone"]);
    assert.ok(failed.finishedAt);
    assert.deepEqual((await s.jobs.logs(gone.id)).map((l) => [l.seq, l.level, l.text]), [
      [1, "info", "hi"],
      [2, "error", "gone"],
    ]);
    assert.equal((await s.jobs.get(alive.id))!.status, "running");
    assert.equal((await s.jobs.get(ended.id))!.status, "succeeded");
    assert.equal((await s.jobs.get(queued.id))!.status, "queued");
    assert.deepEqual(await s.jobs.failOrphans([gone.id], "again"), []);
    assert.deepEqual(await s.jobs.failOrphans([], "none"), []);
  }],

  [
    "create() with running records a job already claimed by its process, without a lease",
    async (c) => {
      const s = await c.open();
      const b = await c.open();
      const queued = await nextSignal(b, "job_queued");
      const job = await s.jobs.create({
        ...input,
        trigger: "cli",
        running: { node: "n1", owner: "42:7" },
      });
      assert.deepEqual([job.status, job.node, job.owner], ["running", "n1", "42:7"]);
      assert.ok(job.startedAt);
      assert.deepEqual(await b.jobs.get(job.id), job);
      // Nobody else can claim it, and it holds no lease that could expire.
      assert.equal(await b.jobs.claim("n2", { owner: "1:1" }), undefined);
      assert.deepEqual(await s.jobs.failExpired(() => "lost"), []);
      // A service of the same node renewing its own leases leaves it without one.
      assert.deepEqual(await s.jobs.renewLeases("n1", 0), []);
      assert.deepEqual(await s.jobs.failExpired(() => "lost"), []);
      // Only queued jobs are signalled.
      const later = await s.jobs.create(input);
      assert.equal(await within(queued.payload, "job_queued signal"), later.id);
      await queued.stop();
    },
  ],

  ["three connections claiming at once take every job exactly once", async (c) => {
    const conns = [await c.open(), await c.open(), await c.open()];
    const n = c.opts.claimJobs;
    const ids = new Set<string>();
    await Promise.all(
      Array.from({ length: 4 }, async (_, w) => {
        for (let i = w; i < n; i += 4) ids.add((await conns[w % 3]!.jobs.create(input)).id);
      }),
    );
    const claimed = await Promise.all(conns.map(async (s, k) => {
      const mine: string[] = [];
      for (;;) {
        const j = await s.jobs.claim(`node-${k}`);
        if (!j) return mine;
        assert.equal(j.node, `node-${k}`);
        mine.push(j.id);
      }
    }));
    const all = claimed.flat();
    assert.equal(all.length, n, "as many claims as jobs");
    assert.deepEqual(new Set(all), ids, "every job claimed once");
    const counts = await conns[0]!.jobs.countByStatus();
    assert.deepEqual([counts.queued, counts.running], [0, n]);
  }],

  ["three connections ending and claiming at once take every job exactly once", async (c) => {
    const conns = [await c.open(), await c.open(), await c.open()];
    const n = c.opts.claimJobs;
    const ids = new Set<string>();
    for (let i = 0; i < n; i += 50) {
      const made = await Promise.all(
        Array.from({ length: Math.min(50, n - i) }, (_, k) => conns[k % 3]!.jobs.create(input)),
      );
      for (const j of made) ids.add(j.id);
    }
    const claimed = await Promise.all(conns.map(async (s, k) => {
      const node = `node-${k}`;
      const mine: string[] = [];
      let job = await s.jobs.claim(node);
      while (job) {
        assert.equal(job.node, node);
        mine.push(job.id);
        const r = await s.jobs.finishAndClaim(job.id, { status: "succeeded", exitCode: 0 }, {
          node,
        });
        assert.equal(r.job.status, "succeeded");
        job = r.next;
      }
      return mine;
    }));
    const all = claimed.flat();
    assert.equal(all.length, n, "as many claims as jobs");
    assert.deepEqual(new Set(all), ids, "every job claimed once");
    const counts = await conns[0]!.jobs.countByStatus();
    assert.deepEqual([counts.queued, counts.running, counts.succeeded], [0, 0, n]);
  }],

  [
    "leases: an expired lease fails the job naming its node; renewed and ended ones stay",
    async (c) => {
      const s = await c.open();
      for (let i = 0; i < 4; i++) await s.jobs.create(input);
      const lost = (await s.jobs.claim("lost-node", { leaseSeconds: 0 }))!;
      const renewed = (await s.jobs.claim("live-node", { leaseSeconds: 0 }))!;
      const ended = (await s.jobs.claim("live-node", { leaseSeconds: 0 }))!;
      const long = (await s.jobs.claim("other-node", { leaseSeconds: 3600 }))!;
      await s.jobs.update(ended.id, {
        status: "succeeded",
        exitCode: 0,
        finishedAt: ended.startedAt!,
      });
      assert.deepEqual(await s.jobs.renewLeases("live-node", 3600), [
        { id: renewed.id, haltRequested: false },
      ]);
      assert.deepEqual(await s.jobs.renewLeases("nobody", 3600), []);
      const why = (node: string) => `The node "${node}" was lost: the job did not finish`;
      assert.deepEqual(await s.jobs.failExpired(why), [{ id: lost.id, node: "lost-node" }]);
      const f = (await s.jobs.get(lost.id))!;
      assert.deepEqual([f.status, f.exitCode, f.error], ["failed", 1, why("lost-node")]);
      assert.equal((await s.jobs.logs(lost.id)).at(-1)?.text, why("lost-node"));
      for (const id of [renewed.id, long.id]) {
        assert.equal(
          (await s.jobs.get(id))!.status,
          "running",
        );
      }
      assert.equal((await s.jobs.get(ended.id))!.status, "succeeded");
      assert.deepEqual(await s.jobs.failExpired(why), []);
      // A node that lost its job no longer finds it among its leases.
      assert.deepEqual(await s.jobs.renewLeases("lost-node", 30), []);
    },
  ],

  ["requestHalt() marks a running job for its node and signals it; others are left", async (c) => {
    const a = await c.open();
    const b = await c.open();
    await a.jobs.create(input);
    await a.jobs.create(input);
    const left = (await a.jobs.claim("node-c"))!;
    const halted = (await a.jobs.claim("node-c"))!;
    const ended = await a.jobs.create(input);
    await a.jobs.update(ended.id, { status: "succeeded", finishedAt: ended.createdAt });
    const waiting = await a.jobs.create(input);
    const halt = await nextSignal(b, "job_halt");
    assert.equal(await a.jobs.requestHalt(waiting.id), false);
    assert.equal(await a.jobs.requestHalt(ended.id), false);
    assert.equal(await a.jobs.requestHalt("nope"), false);
    assert.equal(await b.jobs.requestHalt(halted.id), true);
    assert.equal(await within(halt.payload, "job_halt signal"), halted.id);
    await halt.stop();
    assert.deepEqual(await a.jobs.renewLeases("node-c", 30), [
      { id: left.id, haltRequested: false },
      { id: halted.id, haltRequested: true },
    ]);
    assert.equal((await a.jobs.get(waiting.id))!.status, "queued");
  }],

  ["failExpired() from several connections at once fails each job once", async (c) => {
    const conns = [await c.open(), await c.open(), await c.open()];
    for (let i = 0; i < 30; i++) await conns[0]!.jobs.create(input);
    while (await conns[0]!.jobs.claim("dead", { leaseSeconds: 0 }));
    const results = await Promise.all(conns.map((s) => s.jobs.failExpired(() => "lost")));
    assert.equal(results.flat().length, 30);
    assert.equal(new Set(results.flat().map((r) => r.id)).size, 30);
    for (const r of results.flat()) {
      assert.deepEqual((await conns[0]!.jobs.logs(r.id)).map((l) => l.text), ["lost"]);
    }
  }],

  ["nodes: register, heartbeat, running count, draining, remove", async (c) => {
    const s = await c.open();
    assert.deepEqual(await s.nodes.list(), []);
    const a = await s.nodes.register({ id: "node-a", address: "10.0.0.1:44399", version: "1.0" });
    assert.deepEqual(
      [a.id, a.address, a.version, a.draining, a.running],
      ["node-a", "10.0.0.1:44399", "1.0", false, 0],
    );
    assert.ok(a.heartbeatAgeSeconds >= 0 && a.heartbeatAgeSeconds < 600);
    await s.nodes.register({ id: "node-b", address: null, version: "1.0" });
    await s.jobs.create(input);
    await s.jobs.create(input);
    await s.jobs.claim("node-a");
    await s.jobs.claim("node-a");
    assert.equal(await s.nodes.heartbeat("node-a"), true);
    assert.equal(await s.nodes.heartbeat("ghost"), false);
    const got = (await s.nodes.get("node-a"))!;
    assert.ok(got.heartbeatAt >= a.heartbeatAt);
    assert.equal(got.running, 2);
    assert.equal(await s.nodes.setDraining("node-b", true), true);
    assert.equal(await s.nodes.setDraining("ghost", true), false);
    assert.deepEqual(
      (await s.nodes.list()).map((n) => [n.id, n.draining, n.running]),
      [["node-a", false, 2], ["node-b", true, 0]],
    );
    const again = await s.nodes.register({ id: "node-b", address: "h:1", version: "1.1" });
    assert.deepEqual([again.draining, again.version, again.address], [false, "1.1", "h:1"]);
    assert.equal(await s.nodes.remove("node-b"), true);
    assert.equal(await s.nodes.remove("node-b"), false);
    assert.equal(await s.nodes.get("node-b"), undefined);
  }],

  ["schedules.fire() runs a slot once across connections, and never again", async (c) => {
    const conns = [await c.open(), await c.open(), await c.open()];
    const [a, b] = conns as [Store, Store, Store];
    const due = "2026-01-01T00:00:00.000Z";
    const next = "2026-01-01T00:01:00.000Z";
    const sch = await a.schedules.create({
      name: "Every minute",
      script: "Backup",
      cron: "* * * * *",
      params: { k: "v" },
      enabled: true,
      nextRunAt: due,
    });
    const job = { scriptId: "sid", scriptName: "Backup", params: { k: "v" } };
    const fired = await Promise.all(
      [...conns, ...conns].map((s) => s.schedules.fire(sch.id, due, next, job)),
    );
    const jobs = fired.filter((j) => j !== undefined);
    assert.equal(jobs.length, 1, "one job for the slot");
    const first = jobs[0]!;
    assert.deepEqual([first.trigger, first.scriptId, first.params], ["schedule", "sid", {
      k: "v",
    }]);
    const after = (await b.schedules.get("EVERY MINUTE"))!;
    assert.deepEqual([after.nextRunAt, after.lastRunAt, after.lastJobId], [next, due, first.id]);
    // Set back to a slot that already ran (a cron edit, a clock step): the schedule moves on,
    // no second job.
    await a.schedules.setNext(sch.id, due);
    assert.equal(await b.schedules.fire(sch.id, due, next, job), undefined);
    assert.equal((await a.schedules.get(sch.id))!.nextRunAt, next);
    assert.equal((await a.jobs.list()).length, 1);
    // The next slot runs; a disabled schedule does not.
    assert.ok(await a.schedules.fire(sch.id, next, null, job));
    const off = await a.schedules.create({ ...sch, name: "Off", enabled: false, nextRunAt: due });
    assert.equal(await a.schedules.fire(off.id, due, next, job), undefined);
    assert.equal((await a.jobs.list()).length, 2);
  }],

  ["signals: new jobs are signalled to other connections; notify and unlisten", async (c) => {
    const a = await c.open();
    const b = await c.open();
    const queued = await nextSignal(a, "job_queued");
    const made = await b.jobs.create(input);
    assert.equal(await within(queued.payload, "job_queued signal"), made.id);
    await queued.stop();
    const sch = await b.schedules.create({
      name: "S",
      script: "Backup",
      cron: "* * * * *",
      params: {},
      enabled: true,
      nextRunAt: "2026-01-01T00:00:00.000Z",
    });
    const fired = await nextSignal(a, "job_queued");
    const j = await b.schedules.fire(sch.id, "2026-01-01T00:00:00.000Z", null, {
      scriptId: null,
      scriptName: "Backup",
      params: {},
    });
    assert.equal(await within(fired.payload, "job_queued signal of a schedule"), j!.id);
    await fired.stop();
    const payload = JSON.stringify({ id: made.id, quote: `'"\n`, u: "日本" });
    const halt = await nextSignal(a, "job_halt");
    let heardAfterStop = 0;
    const stopped = await a.signals!.listen("job_halt", () => heardAfterStop++);
    await stopped();
    await b.signals!.notify("job_halt", payload);
    assert.equal(await within(halt.payload, "job_halt signal"), payload);
    await halt.stop();
    // A later signal on the same channel still arrives after one listener stopped.
    const changed = await nextSignal(b, "job_changed", (p) => p === "2");
    await a.signals!.notify("job_changed", "1");
    await a.signals!.notify("job_changed", "2");
    assert.equal(await within(changed.payload, "job_changed signal"), "2");
    await changed.stop();
    assert.equal(heardAfterStop, 0);
  }],
];
