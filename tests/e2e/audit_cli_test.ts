/**
 * `aft audit` over a data directory: changes made with the CLI are recorded for the OS user,
 * and the log reads back as a table, JSON or CSV, filtered.
 */

import assert from "node:assert/strict";
import { userInfo } from "node:os";
import { runAft, tempDataDir } from "./_cli.ts";

Deno.test("aft audit: CLI changes are recorded for the OS user; table, --json, --csv, filters", async () => {
  const data = await tempDataDir();
  try {
    assert.equal((await runAft(["settings", "set", "allowCliRun", "true"], { data })).code, 0);
    assert.equal((await runAft(["secret", "set", "db", "hunter2-value"], { data })).code, 0);
    assert.equal((await runAft(["settings", "set", "jobRetentionDays", "30"], { data })).code, 0);
    const json = await runAft(["audit", "--json"], { data });
    assert.equal(json.code, 0, json.stderr);
    const entries = JSON.parse(json.stdout);
    const me = userInfo().username;
    assert.deepEqual(
      entries.map((e: Record<string, unknown>) => [e.actorKind, e.actorName, e.action, e.target]),
      [
        ["cli", me, "settings.update", "jobRetentionDays"],
        ["cli", me, "secret.set", "db"],
        ["cli", me, "settings.update", "allowCliRun"],
      ],
    );
    assert.deepEqual(entries[2].detail, { changes: { allowCliRun: true } });
    assert.equal(entries[0].ip, null);
    assert.doesNotMatch(json.stdout, /hunter2/);

    const table = await runAft(["audit", "--action", "settings"], { data });
    assert.match(table.stdout, /^TIME +ACTOR +FROM +ACTION +TARGET +RESULT +DETAIL\n/);
    assert.equal(table.stdout.trim().split("\n").length, 3);
    assert.match(
      table.stdout,
      new RegExp(
        `cli ${me} +- +settings\\.update +allowCliRun +ok +changes=\\{"allowCliRun":true\\}`,
      ),
    );

    const csv = await runAft(["audit", "--csv", "--actor", me.toUpperCase()], { data });
    const lines = csv.stdout.split("\r\n");
    assert.equal(lines[0], "time,actor_kind,actor,address,action,target,outcome,detail");
    assert.equal(lines.length, 5); // header, three entries, and the end of the last line
    assert.match(lines[2]!, /,cli,.*,,secret\.set,db,ok,"\{""created"":true\}"$/);

    assert.equal(
      (await runAft(["audit", "--from", "2999-01-01", "--json"], { data })).stdout.trim(),
      "[]",
    );
    const bad = await runAft(["audit", "--from", "someday"], { data });
    assert.equal(bad.code, 2);
    assert.match(bad.stderr, /"from" takes a date or an ISO time/);
    assert.equal((await runAft(["audit", "--json", "--csv"], { data })).code, 2);
    assert.equal((await runAft(["audit", "--limit", "0"], { data })).code, 2);
  } finally {
    await Deno.remove(data, { recursive: true });
  }
});
