import assert from "node:assert/strict";
import { join } from "node:path";
import { DatabaseSync } from "node:sqlite";
import { SqliteStore } from "./sqlite.ts";
import { StoreError } from "./types.ts";

async function withStore(fn: (a: SqliteStore, b: SqliteStore) => Promise<void>) {
  const dir = await Deno.makeTempDir();
  // Two connections to one file: two processes sharing the database.
  const a = new SqliteStore(join(dir, "aft.db"));
  await a.migrate();
  const b = new SqliteStore(join(dir, "aft.db"));
  await b.migrate();
  try {
    await fn(a, b);
  } finally {
    await a.close();
    await b.close();
    await Deno.remove(dir, { recursive: true });
  }
}

const input = {
  scriptId: null,
  scriptName: "s",
  filePath: null,
  params: {},
  trigger: "api" as const,
};

Deno.test("claim() hands each queued job to exactly one claimant, oldest first", async () => {
  await withStore(async (a, b) => {
    const ids: string[] = [];
    for (let i = 0; i < 20; i++) ids.push((await a.jobs.create(input)).id);
    const got: string[] = [];
    for (;;) {
      const x = await a.jobs.claim("node-a");
      const y = await b.jobs.claim("node-b");
      if (x) got.push(x.id);
      if (y) got.push(y.id);
      if (!x && !y) break;
    }
    assert.deepEqual(got, ids);
    const running = await a.jobs.list({ status: "running", limit: 100 });
    assert.equal(running.length, 20);
    assert.ok(running.every((j) => j.startedAt && (j.node === "node-a" || j.node === "node-b")));
  });
});

Deno.test("failOrphans() fails only the named jobs still running, with a log line", async () => {
  await withStore(async (a) => {
    await a.jobs.create(input);
    await a.jobs.create(input);
    await a.jobs.create(input);
    const gone = await a.jobs.claim("me", { owner: "100:1" });
    const alive = await a.jobs.claim("me", { owner: "200:1" });
    const ended = await a.jobs.claim("me", { owner: "100:1" });
    await a.jobs.update(ended!.id, { status: "succeeded", finishedAt: new Date().toISOString() });
    assert.equal(gone!.owner, "100:1");
    const failed = await a.jobs.failOrphans([gone!.id, ended!.id], "gone");
    assert.deepEqual(failed, [gone!.id]);
    assert.equal((await a.jobs.get(gone!.id))!.status, "failed");
    assert.equal((await a.jobs.get(alive!.id))!.status, "running");
    assert.equal((await a.jobs.get(ended!.id))!.status, "succeeded");
    assert.equal((await a.jobs.logs(gone!.id))[0]!.text, "gone");
  });
});

Deno.test("create() with running records a job already claimed by its process", async () => {
  await withStore(async (a, b) => {
    const job = await a.jobs.create({ ...input, running: { node: "n1", owner: "42:7" } });
    assert.equal(job.status, "running");
    assert.equal(job.node, "n1");
    assert.equal(job.owner, "42:7");
    assert.ok(job.startedAt);
    assert.deepEqual(await a.jobs.get(job.id), job);
    // Nobody else can claim it.
    assert.equal(await b.jobs.claim("n2", { owner: "1:1" }), undefined);
  });
});

Deno.test("a full database fails writes with StoreError FULL, and reads go on", async () => {
  const dir = await Deno.makeTempDir();
  try {
    const path = join(dir, "aft.db");
    const setup = new SqliteStore(path);
    await setup.migrate();
    await setup.close();
    const pages = Math.ceil((await Deno.stat(path)).size / 4096);
    const full = new SqliteStore(path, { maxPageCount: pages });
    try {
      await assert.rejects(
        full.jobs.create({ ...input, params: { big: "x".repeat(200_000) } }),
        (err: unknown) => err instanceof StoreError && err.code === "FULL",
      );
      assert.deepEqual(await full.jobs.list(), []);
    } finally {
      await full.close();
    }
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("the database and its -wal and -shm files are private (0600)", {
  ignore: Deno.build.os === "windows",
}, async () => {
  const dir = await Deno.makeTempDir();
  try {
    const path = join(dir, "aft.db");
    // An older aft left the file readable by everyone: it is made private on open.
    await Deno.writeFile(path, new Uint8Array(), { mode: 0o644 });
    await Deno.chmod(path, 0o644);
    const store = new SqliteStore(path);
    await store.migrate();
    await store.jobs.create(input);
    try {
      for (const f of [path, `${path}-wal`, `${path}-shm`]) {
        assert.equal((await Deno.stat(f)).mode! & 0o777, 0o600, f);
      }
    } finally {
      await store.close();
    }
    const fresh = join(dir, "new.db");
    const store2 = new SqliteStore(fresh);
    await store2.migrate();
    await store2.jobs.create(input);
    try {
      for (const f of [fresh, `${fresh}-wal`, `${fresh}-shm`]) {
        assert.equal((await Deno.stat(f)).mode! & 0o777, 0o600, f);
      }
    } finally {
      await store2.close();
    }
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("purge() removes finished jobs older than the cutoff, with their logs", async () => {
  await withStore(async (a) => {
    const old = await a.jobs.create(input);
    await a.jobs.update(old.id, { status: "succeeded", finishedAt: "2020-01-01T00:00:00.000Z" });
    await a.jobs.appendLogs([{ jobId: old.id, seq: 1, ts: "x", level: "info", text: "t" }]);
    const fresh = await a.jobs.create(input);
    await a.jobs.update(fresh.id, { status: "failed", finishedAt: new Date().toISOString() });
    const queued = await a.jobs.create(input);
    assert.equal(await a.jobs.purge("2021-01-01T00:00:00.000Z"), 1);
    assert.equal(await a.jobs.get(old.id), undefined);
    assert.deepEqual(await a.jobs.logs(old.id), []);
    assert.ok(await a.jobs.get(fresh.id));
    assert.ok(await a.jobs.get(queued.id));
  });
});

Deno.test("schedules.fire() runs a slot once, whoever fires it", async () => {
  await withStore(async (a, b) => {
    const due = "2026-01-01T00:00:00.000Z";
    const next = "2026-01-01T00:01:00.000Z";
    const s = await a.schedules.create({
      name: "Nightly",
      script: "s",
      cron: "* * * * *",
      params: { k: "v" },
      enabled: true,
      nextRunAt: due,
    });
    const job = { scriptId: "x", scriptName: "s", params: { k: "v" } };
    const first = await a.schedules.fire(s.id, due, next, job);
    const second = await b.schedules.fire(s.id, due, next, job);
    assert.ok(first);
    assert.equal(second, undefined);
    assert.equal(first.trigger, "schedule");
    const after = (await b.schedules.get("NIGHTLY"))!;
    assert.equal(after.nextRunAt, next);
    assert.equal(after.lastRunAt, due);
    assert.equal(after.lastJobId, first.id);
    assert.equal((await a.jobs.list()).length, 1);
  });
});

Deno.test("API keys: names are unique case-insensitively, lookup is by hash", async () => {
  await withStore(async (a) => {
    const k = await a.apikeys.create({
      name: "CI",
      prefix: "abc",
      hash: "h1",
      allow: ["127.0.0.1"],
      scopes: ["jobs:start"],
    });
    await assert.rejects(
      a.apikeys.create({ name: "ci", prefix: "x", hash: "h2", allow: [], scopes: [] }),
      /already exists/,
    );
    assert.equal((await a.apikeys.getByHash("h1"))!.id, k.id);
    assert.equal(await a.apikeys.getByHash("h2"), undefined);
    assert.ok(await a.apikeys.remove("ci"));
    assert.equal(await a.apikeys.getByHash("h1"), undefined);
  });
});

Deno.test("IDs made in one millisecond still sort in creation order", async () => {
  const { newId } = await import("./ids.ts");
  const ids = Array.from({ length: 1000 }, () => newId(1_800_000_000_000));
  assert.deepEqual([...ids].sort(), ids);
  assert.equal(new Set(ids).size, ids.length);
  assert.ok(newId() > ids.at(-1)!);
});

/** Pages the database at `path` has now (WAL included). */
function pageCount(path: string): number {
  const db = new DatabaseSync(path);
  try {
    return Number((db.prepare("PRAGMA page_count").get() as { page_count: number }).page_count);
  } finally {
    db.close();
  }
}

Deno.test("a full database fails a write with a FULL StoreError, not a rollback error, and keeps working", async () => {
  const dir = await Deno.makeTempDir();
  const path = join(dir, "aft.db");
  try {
    const setup = new SqliteStore(path);
    await setup.migrate();
    const job = await setup.jobs.create(input);
    await setup.close();
    const full = new SqliteStore(path, { maxPageCount: pageCount(path) });
    try {
      const lines = Array.from({ length: 2000 }, (_, i) => ({
        jobId: job.id,
        seq: i + 1,
        ts: new Date().toISOString(),
        level: "info" as const,
        text: "x".repeat(200),
      }));
      for (let attempt = 0; attempt < 3; attempt++) {
        await assert.rejects(
          full.jobs.appendLogs(lines),
          (err: unknown) =>
            err instanceof StoreError && err.code === "FULL" &&
            /disk is full/.test(err.message),
        );
      }
      // Nothing half-written, and what fits in place still works.
      assert.deepEqual(await full.jobs.logs(job.id), []);
      const updated = await full.jobs.update(job.id, { status: "failed", error: "disk full" });
      assert.equal(updated.status, "failed");
    } finally {
      await full.close();
    }
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("jobs.list() filters by trigger and by a range of creation times", async () => {
  await withStore(async (a) => {
    const api = await a.jobs.create(input);
    const ui = await a.jobs.create({ ...input, trigger: "ui" });
    const sch = await a.jobs.create({ ...input, trigger: "schedule" });
    assert.deepEqual((await a.jobs.list({ trigger: "ui" })).map((j) => j.id), [ui.id]);
    assert.deepEqual(await a.jobs.list({ createdTo: api.createdAt }), []);
    const all = await a.jobs.list({ createdFrom: api.createdAt, createdTo: "9999" });
    assert.deepEqual(all.map((j) => j.id), [sch.id, ui.id, api.id]);
    assert.deepEqual(await a.jobs.list({ createdFrom: "9999" }), []);
  });
});

Deno.test("jobs.hourly() counts finished jobs and their bytes by the hour they ended and status", async () => {
  await withStore(async (a) => {
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
  });
});

Deno.test("apikeys.touch() records the time and the caller's address", async () => {
  await withStore(async (a, b) => {
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
  });
});

Deno.test("schedules.update() changes the given fields only; a taken name is ALREADY_EXISTS", async () => {
  await withStore(async (a) => {
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
    await assert.rejects(
      a.schedules.update(s.id, { name: "TWO" }),
      (e) => e instanceof StoreError && e.code === "ALREADY_EXISTS",
    );
    await assert.rejects(
      a.schedules.update("nope", { enabled: true }),
      (e) => e instanceof StoreError && e.code === "NOT_FOUND",
    );
  });
});

Deno.test("jobs.logs() with a limit gives that many lines after the given one, in order", async () => {
  await withStore(async (a) => {
    const j = await a.jobs.create(input);
    const line = (seq: number) => ({
      jobId: j.id,
      seq,
      ts: "t",
      level: "info" as const,
      text: `${seq}`,
    });
    await a.jobs.appendLogs([1, 2, 3, 4, 5].map(line));
    assert.deepEqual((await a.jobs.logs(j.id, 1, 2)).map((l) => l.seq), [2, 3]);
    assert.deepEqual((await a.jobs.logs(j.id, 3)).map((l) => l.seq), [4, 5]);
    assert.deepEqual(await a.jobs.logs(j.id, 5, 10), []);
  });
});
