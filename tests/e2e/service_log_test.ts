/**
 * The service's log file (DATA/logs/aft.log): rotated by size with a set number kept, also
 * under a flood of jobs that each log thousands of lines; JSON lines with --log-format json.
 */

import * as assert from "node:assert/strict";
import { join } from "node:path";
import { runAft, tempDataDir } from "./_cli.ts";
import { restClient } from "./_rest.ts";
import { gracefulStopWorks, startService, stopClean } from "./_service.ts";

Deno.test("the service log keeps the set number of files under a flood of job log lines", async () => {
  const data = await tempDataDir();
  const dir = await Deno.makeTempDir({ prefix: "aft-log-" });
  try {
    const file = join(dir, "chatty.syncjs");
    await Deno.writeTextFile(
      file,
      'for (let i = 0; i < 2000; i++) Log.Info("chatty line " + i + " " + "x".repeat(60));',
    );
    assert.equal((await runAft(["script", "add", "chatty", "-f", file], { data })).code, 0);
    const key = (await runAft(["apikey", "create", "flood"], { data })).stdout.trim();
    const svc = await startService(data, {
      args: ["--log-max-size", "2KiB", "--log-files", "2", "--log-format", "json"],
    });
    try {
      const rest = await restClient(data, svc.host, key);
      try {
        const ids: string[] = [];
        for (let i = 0; i < 40; i++) ids.push(await rest.start("chatty"));
        await rest.waitAll(ids, ["succeeded"]);
        // The jobs' own lines are in their logs.
        const log = await rest.call("GET", `/v1/adm/jobs/${ids[0]}/log`);
        assert.match(JSON.stringify(log.body), /chatty line 1999/);
      } finally {
        rest.close();
      }
    } finally {
      await stopClean(svc);
    }
    const logs = join(data, "logs");
    const names = [...Deno.readDirSync(logs)].map((e) => e.name).sort();
    assert.deepEqual(names, ["aft.log", "aft.log.1", "aft.log.2"]);
    let lifecycle = 0;
    for (const n of names) {
      const st = await Deno.stat(join(logs, n));
      assert.ok(st.size <= 2048, `${n} has ${st.size} bytes`);
      if (Deno.build.os !== "windows") assert.equal(st.mode! & 0o777, 0o600);
      for (const line of (await Deno.readTextFile(join(logs, n))).trim().split("\n")) {
        const rec = JSON.parse(line);
        assert.equal(typeof rec.time, "string");
        assert.equal(typeof rec.msg, "string");
        assert.doesNotMatch(rec.msg, /chatty line/);
        if (rec.job) lifecycle++;
      }
    }
    assert.ok(lifecycle > 0, "job state changes are in the service log");
    // The newest file ends with the service's last words (where it can be stopped gracefully).
    if (gracefulStopWorks) {
      assert.match(await Deno.readTextFile(join(logs, "aft.log")), /"msg":"stopped"/);
    }
  } finally {
    await Deno.remove(data, { recursive: true });
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("aft serve refuses a bad --log-max-size, --log-files or --log-format", async () => {
  const data = await tempDataDir();
  try {
    for (
      const [args, re] of [
        [["--log-max-size", "tiny"], /--log-max-size takes a size/],
        [["--log-max-size", "100"], /at least 1 KiB/],
        [["--log-files", "-1"], /--log-files takes a whole number/],
        [["--log-format", "xml"], /Allowed choices are text, json/],
      ] as const
    ) {
      const r = await runAft(["serve", "--listen", "127.0.0.1:0", ...args], { data });
      assert.equal(r.code, 2, r.stderr);
      assert.match(r.stderr, re);
    }
  } finally {
    await Deno.remove(data, { recursive: true });
  }
});
