/**
 * The store conformance suite on PostgreSQL: a throw-away cluster on 127.0.0.1 (see
 * tests/fixtures/postgres.ts), a new database for each step (sorting text as English does, not
 * bytewise, which the first test checks), and 2,000 jobs in the claim race.
 */

import assert from "node:assert/strict";
import { PostgresStore } from "../../src/store/postgres/postgres.ts";
import { startPostgres } from "../fixtures/postgres.ts";
import { storeConformance } from "./conformance.ts";

if (Deno.build.os !== "linux") {
  Deno.test({ name: "postgres store suite (runs on Linux)", ignore: true, fn() {} });
} else {
  const pg = await startPostgres();
  globalThis.addEventListener("unload", () => {
    pg.stop();
  });
  // Databases sort text as their locale does; the store must not depend on it (IDs, names).
  const newDatabase = async () => {
    const url = await pg.createDatabase(undefined, { icuLocale: "en-US" });
    return { url, db: new URL(url).pathname.slice(1) };
  };
  const drop = (db: string) => pg.psql(`DROP DATABASE "${db}" WITH (FORCE)`);

  Deno.test("postgres store suite: its databases sort text as English does, not bytewise", async () => {
    const { db } = await newDatabase();
    try {
      const sorted = await pg.psql(
        "SELECT string_agg(x, ',' ORDER BY x) FROM (VALUES ('b'), ('B'), ('a'), ('_a')) v(x)",
        db,
      );
      // Bytewise (the cluster's C collation) would give "B,_a,a,b".
      assert.equal(sorted.trim(), "_a,a,b,B");
    } finally {
      await drop(db);
    }
  });

  storeConformance("postgres", async () => {
    const { url, db } = await newDatabase();
    return {
      connect: () => new PostgresStore(url, { max: 4 }),
      exec: async (sql) => void await pg.psql(sql, db),
      cleanup: async () => void await drop(db),
    };
  }, { claimJobs: 2000 });
}
