import assert from "node:assert/strict";
import { join } from "node:path";
import { PostgresStore } from "../store/postgres/postgres.ts";
import { SqliteStore } from "../store/sqlite.ts";
import type { Store } from "../store/types.ts";
import { canonicalNames } from "./canonical_names.ts";
import { startPostgres } from "../../tests/fixtures/postgres.ts";
import { rejectsWith, withEngine } from "./_test_engine.ts";
import type { Engine } from "./surface.ts";

/** "café" in NFC (U+00E9) and in NFD (e + U+0301): they look the same everywhere. */
const NFC = "caf\u00e9";
const NFD = "cafe\u0301";

/** The rule on one store: `raw` is the store under the engine, for records of older versions. */
async function names(engine: Engine, raw: Store, dir: string) {
  // Records an older version stored under names not in NFC are there before this version
  // looks anything up: it asks at most once a minute whether any are left (legacyNames).
  // A script stored by an older version under its NFD name stays reachable by both spellings,
  // refuses an NFC twin, and a rename to its own name stores it in NFC (same ID).
  const oldName = "Zoe\u0308 report";
  const newName = "Zo\u00eb report";
  const old = await raw.scripts.create({ name: oldName, source: "Exit(1);" });
  await raw.secrets.put("Zoe\u0308", "not read");
  await raw.apikeys.create({
    name: "Zoe\u0308",
    prefix: "aft_x",
    hash: "h".repeat(64),
    allow: [],
    scopes: [],
  });
  assert.equal(old.name, oldName);
  assert.equal((await engine.scripts.get(oldName)).id, old.id);
  assert.equal((await engine.scripts.get(newName)).id, old.id);
  assert.equal((await engine.scripts.get(newName.toUpperCase())).id, old.id);
  await rejectsWith(engine.scripts.create({ name: newName, source: "" }), "ALREADY_EXISTS");
  // A schedule naming it by the old spelling does not make a change of spelling a rename.
  await engine.schedules.create({ name: "zoe", script: oldName, cron: "0 4 * * *" });
  const renamed = await engine.scripts.update(newName, { name: oldName });
  assert.equal(renamed.id, old.id);
  assert.equal(renamed.name, newName);
  assert.equal((await engine.scripts.get(oldName)).id, old.id);

  // An older secret and API key under NFD names: found, refused twice, removed by either.
  assert.equal((await engine.secrets.set("Zo\u00eb", "v")).created, false);
  assert.deepEqual((await engine.secrets.list()).map((x) => x.name), ["Zoe\u0308"]);
  await engine.secrets.remove("Zo\u00eb");
  assert.deepEqual(await engine.secrets.list(), []);
  await rejectsWith(engine.apikeys.create({ name: "Zo\u00eb" }), "ALREADY_EXISTS");
  await engine.apikeys.remove("Zo\u00eb");
  assert.deepEqual(await engine.apikeys.list(), []);

  // Scripts: stored in NFC, found by either spelling (any case), a second spelling refused.
  const s = await engine.scripts.create({ name: NFD, source: "Exit(0);" });
  assert.equal(s.name, NFC);
  assert.equal((await engine.scripts.get(NFC)).id, s.id);
  assert.equal((await engine.scripts.get(NFD)).id, s.id);
  assert.equal((await engine.scripts.get("CAFE\u0301")).id, s.id);
  await rejectsWith(engine.scripts.create({ name: NFC, source: "" }), "ALREADY_EXISTS");
  await rejectsWith(engine.scripts.create({ name: NFD, source: "" }), "ALREADY_EXISTS");
  const other = await engine.scripts.create({ name: "other", source: "" });
  await rejectsWith(engine.scripts.update(other.id, { name: NFD }), "ALREADY_EXISTS");

  // The job history's filter by script name, in the other spelling.
  const job = await engine.jobs.submit({
    trigger: "ui",
    caller: { kind: "local" },
    target: { scriptName: NFD },
  });
  assert.equal(job.scriptName, NFC);
  assert.deepEqual((await engine.jobs.list({ script: NFD })).jobs.map((j) => j.id), [job.id]);

  // VFS Library.
  await engine.vfs.add({ name: NFD, type: "disk", target: dir, options: {} });
  assert.equal((await engine.vfs.get(NFC)).name, NFC);
  await rejectsWith(
    engine.vfs.add({ name: NFC, type: "disk", target: dir, options: {} }),
    "ALREADY_EXISTS",
  );

  // Secrets: one record, whichever spelling sets or removes it.
  assert.equal((await engine.secrets.set(NFD, "one")).created, true);
  assert.equal((await engine.secrets.set(NFC, "two")).created, false);
  assert.deepEqual((await engine.secrets.list()).map((x) => x.name), [NFC]);
  await engine.secrets.remove(NFD);
  assert.deepEqual(await engine.secrets.list(), []);

  // API keys.
  await engine.apikeys.create({ name: NFD });
  await rejectsWith(engine.apikeys.create({ name: NFC }), "ALREADY_EXISTS");
  assert.deepEqual((await engine.apikeys.list()).map((k) => k.name), [NFC]);
  await engine.apikeys.remove(NFD);
  assert.deepEqual(await engine.apikeys.list(), []);

  // Schedules, and the script a schedule names, by either spelling.
  const sch = await engine.schedules.create({ name: NFD, script: NFD, cron: "0 2 * * *" });
  assert.equal(sch.name, NFC);
  assert.equal((await engine.schedules.get(NFC)).id, sch.id);
  await rejectsWith(
    engine.schedules.create({ name: NFC, script: NFC, cron: "0 3 * * *" }),
    "ALREADY_EXISTS",
  );
}

Deno.test("names are NFC: either spelling of a name finds its record and a second spelling is refused (SQLite)", async () => {
  const dir = await Deno.makeTempDir({ prefix: "aft-nfc-" });
  const raw = new SqliteStore(join(dir, "aft.db"));
  try {
    await withEngine((engine) => names(engine, raw, dir), { store: raw });
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

if (Deno.build.os !== "linux") {
  Deno.test({ name: "names are NFC on PostgreSQL (runs on Linux)", ignore: true, fn() {} });
} else {
  Deno.test("names are NFC: either spelling of a name finds its record and a second spelling is refused (PostgreSQL)", async () => {
    const pg = await startPostgres();
    const dir = await Deno.makeTempDir({ prefix: "aft-nfc-" });
    try {
      const raw = new PostgresStore(await pg.createDatabase(), { max: 2 });
      await withEngine((engine) => names(engine, raw, dir), { store: raw });
    } finally {
      await pg.stop();
      await Deno.remove(dir, { recursive: true });
    }
  });
}

Deno.test("the names wrapper passes on members as the store has them now, its own methods bound to it", async () => {
  const dir = await Deno.makeTempDir({ prefix: "aft-nfc-" });
  const raw = new SqliteStore(join(dir, "aft.db"));
  try {
    await raw.migrate();
    const store = canonicalNames(raw);
    const count = store.jobs.countByStatus;
    assert.equal(store.jobs.countByStatus, count, "one bound function per member, not one per use");
    assert.deepEqual(await count(), await raw.jobs.countByStatus());
    // A member replaced on the store (as tests wrap methods) is the one the wrapper gives.
    assert.equal(await store.jobs.get("before"), undefined);
    const calls: string[] = [];
    const real = raw.jobs.get.bind(raw.jobs);
    store.jobs.get = (id) => (calls.push(id), real(id));
    assert.equal(await store.jobs.get("nope"), undefined);
    assert.deepEqual(calls, ["nope"]);
  } finally {
    await raw.close();
    await Deno.remove(dir, { recursive: true });
  }
});
