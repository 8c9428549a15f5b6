import assert from "node:assert/strict";
import { join } from "node:path";
import { DatabaseSync } from "node:sqlite";
import { SqliteStore } from "./sqlite.ts";
import { StoreError } from "./types.ts";

// What every store does is tested by the conformance suite (tests/store/); here is what only
// the SQLite file does.

const input = {
  scriptId: null,
  scriptName: "s",
  filePath: null,
  params: {},
  trigger: "api" as const,
};

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
