/**
 * The store conformance suite on SQLite: each step gets a new database file in a temporary
 * folder, reached through as many connections as the step opens (as the service and `aft run`
 * share one file).
 */

import { join } from "node:path";
import assert from "node:assert/strict";
import { DatabaseSync } from "node:sqlite";
import { SqliteStore } from "../../src/store/sqlite.ts";
import { storeConformance } from "./conformance.ts";

storeConformance("sqlite", async () => {
  const dir = await Deno.makeTempDir({ prefix: "aft-store-" });
  const path = join(dir, "aft.db");
  return {
    connect: () => new SqliteStore(path),
    exec(sql) {
      const db = new DatabaseSync(path);
      try {
        db.exec(sql);
      } finally {
        db.close();
      }
      return Promise.resolve();
    },
    cleanup: () => Deno.remove(dir, { recursive: true }),
  };
});

Deno.test("sqlite: a job this process runs is committed before create() returns, a queued one on the next turn", async () => {
  const dir = await Deno.makeTempDir({ prefix: "aft-store-" });
  const path = join(dir, "aft.db");
  const store = new SqliteStore(path);
  const reader = new DatabaseSync(path);
  try {
    await store.migrate();
    const count = () => (reader.prepare("SELECT count(*) AS n FROM jobs").get() as { n: number }).n;
    const base = {
      scriptId: null,
      scriptName: "Nightly",
      filePath: "/srv/nightly.syncjs",
      params: {},
      trigger: "cli" as const,
    };
    // Both calls in one turn: the queued job waits for the turn's commit, unless a job this
    // process runs (`aft run`'s) commits at once, taking the waiting one with it.
    const queued = store.jobs.create({ ...base, trigger: "api" });
    assert.equal(count(), 0);
    const mine = store.jobs.create({ ...base, running: { node: "n1", owner: "42:7" } });
    assert.equal(count(), 2);
    assert.equal((await mine).status, "running");
    assert.equal((await queued).status, "queued");
    const later = store.jobs.create({ ...base, trigger: "api" });
    assert.equal(count(), 2);
    await later;
    assert.equal(count(), 3);
  } finally {
    reader.close();
    await store.close();
    await Deno.remove(dir, { recursive: true });
  }
});
