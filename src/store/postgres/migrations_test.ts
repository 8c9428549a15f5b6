import assert from "node:assert/strict";
import { MIGRATIONS } from "../migrations.ts";
import { PG_MIGRATIONS } from "./migrations.ts";

/** Tables, columns and indexes a migration makes, by name. */
function objects(sql: string): string[] {
  const out: string[] = [];
  for (
    const m of sql.matchAll(
      /CREATE TABLE (\w+)|ADD COLUMN (\w+)|CREATE (?:UNIQUE )?INDEX (\w+)/gi,
    )
  ) {
    out.push(m[1] ? `table ${m[1]}` : m[2] ? `column ${m[2]}` : `index ${m[3]}`);
  }
  // Columns of new tables, as "table.column".
  for (const t of sql.matchAll(/CREATE TABLE (\w+) \(([^;]*?)\n\s*\)/gi)) {
    for (const line of t[2]!.split("\n")) {
      const col = /^\s*(\w+) \w+/.exec(line)?.[1];
      if (col && !/^(PRIMARY|UNIQUE)$/i.test(col)) out.push(`${t[1]}.${col}`);
    }
  }
  return out.sort();
}

Deno.test("PostgreSQL and SQLite have the same migrations, version by version", () => {
  assert.equal(PG_MIGRATIONS.length, MIGRATIONS.length);
  MIGRATIONS.forEach((sqlite, i) => {
    const pg = objects(PG_MIGRATIONS[i]!);
    const missing = objects(sqlite).filter((o) => !pg.includes(o));
    assert.deepEqual(missing, [], `migration ${i + 1} of PostgreSQL lacks what SQLite's makes`);
  });
});
