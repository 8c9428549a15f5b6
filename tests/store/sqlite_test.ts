/**
 * The store conformance suite on SQLite: each step gets a new database file in a temporary
 * folder, reached through as many connections as the step opens (as the service and `aft run`
 * share one file).
 */

import { join } from "node:path";
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
