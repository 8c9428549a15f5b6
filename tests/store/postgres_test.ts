/**
 * The store conformance suite on PostgreSQL: a throw-away cluster on 127.0.0.1 (see
 * tests/fixtures/postgres.ts), a new database for each step (sorting text as English does, not
 * bytewise), and 2,000 jobs in the claim race.
 */

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
  storeConformance("postgres", async () => {
    const url = await pg.createDatabase(undefined, { icuLocale: "en-US" });
    const db = new URL(url).pathname.slice(1);
    return {
      connect: () => new PostgresStore(url, { max: 4 }),
      exec: async (sql) => void await pg.psql(sql, db),
      cleanup: async () => void await pg.psql(`DROP DATABASE "${db}" WITH (FORCE)`),
    };
  }, { claimJobs: 2000 });
}
