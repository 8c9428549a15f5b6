import * as assert from "node:assert/strict";
import { join } from "node:path";
import { DatabaseSync } from "node:sqlite";
import { MIGRATIONS } from "./migrations.ts";
import { MIGRATION_BACKUPS_KEPT } from "./sqlite_backup.ts";
import { SqliteStore } from "./sqlite.ts";

/** A database at schema version `version` (the migrations up to it), with one script. */
function oldDatabase(path: string, version: number): void {
  const db = new DatabaseSync(path);
  db.exec("CREATE TABLE schema_version (version INTEGER NOT NULL)");
  for (let v = 0; v < version; v++) {
    db.exec(MIGRATIONS[v]!);
    db.prepare("INSERT INTO schema_version (version) VALUES (?)").run(v + 1);
  }
  db.prepare(
    "INSERT INTO scripts (id, name, name_key, source, created_at, updated_at) VALUES ('s1', 'Old', 'old', 'Log(1)', 't', 't')",
  ).run();
  db.close();
}

Deno.test({
  name: "migrate() keeps a copy of the database it is about to change, and only the last few",
  ignore: MIGRATIONS.length < 2,
  async fn() {
    const dir = await Deno.makeTempDir({ prefix: "aft-migrate-" });
    try {
      const path = join(dir, "aft.db");
      const old = MIGRATIONS.length - 1;
      for (let round = 0; round < MIGRATION_BACKUPS_KEPT + 2; round++) {
        await Deno.remove(path).catch(() => {});
        oldDatabase(path, old);
        const store = new SqliteStore(path);
        await store.migrate();
        assert.equal(await store.schemaVersion(), MIGRATIONS.length);
        await store.close();
      }
      const backups = [...Deno.readDirSync(join(dir, "backups"))].map((e) => e.name).sort();
      assert.equal(backups.length, MIGRATION_BACKUPS_KEPT);
      for (const name of backups) {
        assert.match(name, new RegExp(`^aft-v${old}-\\d{8}T\\d{6}Z(-\\d+)?\\.db$`));
        const file = join(dir, "backups", name);
        if (Deno.build.os !== "windows") assert.equal(Deno.statSync(file).mode! & 0o777, 0o600);
        const copy = new DatabaseSync(file, { readOnly: true });
        try {
          assert.equal(copy.prepare("SELECT max(version) AS v FROM schema_version").get()?.v, old);
          assert.equal(copy.prepare("SELECT name FROM scripts").get()?.name, "Old");
        } finally {
          copy.close();
        }
      }
      // A database already at the current version is not copied again.
      const store = new SqliteStore(path);
      await store.migrate();
      await store.close();
      assert.equal([...Deno.readDirSync(join(dir, "backups"))].length, MIGRATION_BACKUPS_KEPT);
    } finally {
      await Deno.remove(dir, { recursive: true });
    }
  },
});

Deno.test("snapshot() writes a consistent private copy and refuses an existing file; integrityCheck() is empty when sound", async () => {
  const dir = await Deno.makeTempDir({ prefix: "aft-snap-" });
  try {
    const store = new SqliteStore(join(dir, "aft.db"));
    await store.migrate();
    await store.scripts.create({ name: "kept", source: "Log(1)" });
    const dest = join(dir, "copy.db");
    await store.snapshot(dest);
    if (Deno.build.os !== "windows") assert.equal(Deno.statSync(dest).mode! & 0o777, 0o600);
    await assert.rejects(store.snapshot(dest), /already exists/);
    assert.deepEqual(await store.integrityCheck(), []);
    await store.close();
    const copy = new SqliteStore(dest);
    assert.deepEqual((await copy.scripts.list()).map((s) => s.name), ["kept"]);
    await copy.close();
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});
