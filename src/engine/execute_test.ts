/**
 * executeJob() with a real runner process and a real database: how a job's log is bounded and
 * what a job whose log cannot be stored ends as.
 */

import assert from "node:assert/strict";
import { join } from "node:path";
import { DatabaseSync } from "node:sqlite";
import { RunnerPool, type RunnerProcess } from "../runtime/service/runner_pool.ts";
import type { Runners } from "../runtime/protocol/runner.ts";
import { SqliteStore } from "../store/sqlite.ts";
import type { JobRecord, LogLine } from "../store/types.ts";
import { createCore } from "./engine.ts";
import { executeJob, type ExecuteOptions, MAX_JOB_ERROR_CHARS, recordedError } from "./execute.ts";
import { saveSetting } from "./settings.ts";
import type { EngineCore as Engine } from "./types.ts";

async function withEngine(
  settings: Record<string, unknown>,
  fn: (engine: Engine, pool: RunnerPool) => Promise<void>,
) {
  const dataDir = await Deno.makeTempDir({ prefix: "aft-exec-" });
  // The engine's inside (store, bus, settings) that executeJob works on, over a real database.
  const store = new SqliteStore(join(dataDir, "aft.db"));
  await store.migrate();
  const engine = createCore(dataDir, store);
  const pool = new RunnerPool();
  try {
    for (const [k, v] of Object.entries(settings)) await saveSetting(engine.store, k, v);
    await fn(engine, pool);
  } finally {
    await pool.close();
    await engine.close();
    await Deno.remove(dataDir, { recursive: true });
  }
}

/** Records a job for `source` and runs it. */
async function run(
  engine: Engine,
  pool: RunnerPool,
  source: string,
  opts: Omit<ExecuteOptions, "pool"> = {},
): Promise<{ job: JobRecord; lines: LogLine[] }> {
  const queued = await engine.store.jobs.create({
    scriptId: null,
    scriptName: "t",
    filePath: null,
    params: {},
    trigger: "cli",
  });
  const job = await executeJob(engine, queued, { source, fileName: "t.syncjs" }, {
    ...opts,
    pool,
  });
  return { job, lines: await engine.store.jobs.logs(job.id) };
}

Deno.test("a job logging past logMaxBytesPerJob keeps its first lines and ends with one line counting the rest", async () => {
  await withEngine({ logMaxBytesPerJob: 65536 }, async (engine, pool) => {
    const { job, lines } = await run(
      engine,
      pool,
      'for (var i = 0; i < 20000; i++) Log.Info("line " + i);\nLog.Info("done");',
    );
    assert.equal(job.status, "succeeded", job.error ?? "");
    const kept = lines.filter((l) => l.text.startsWith("line "));
    assert.ok(kept.length > 1000 && kept.length < 2000, `${kept.length} lines kept`);
    kept.forEach((l, i) => assert.equal(l.text, `line ${i}`));
    const last = lines.at(-1)!;
    assert.equal(last.level, "warn");
    const m =
      /limit of 65536 bytes \(setting logMaxBytesPerJob\): (\d+) more lines \((\d+) bytes\) were dropped/
        .exec(last.text);
    assert.ok(m, last.text);
    // Every line the script logged is either kept or counted, "done" included.
    assert.equal(kept.length + Number(m[1]), 20001);
    assert.equal(lines.filter((l) => /were dropped/.test(l.text)).length, 1);
  });
});

Deno.test("a line longer than logMaxLineBytes is stored cut, with a note of its size, and the job goes on", async () => {
  await withEngine({ logMaxLineBytes: 4096 }, async (engine, pool) => {
    const { job, lines } = await run(
      engine,
      pool,
      'Log.Info("é".repeat(3 * 1024 * 1024)); Log.Info("after");',
    );
    assert.equal(job.status, "succeeded", job.error ?? "");
    assert.equal(lines.length, 2);
    const cut = lines[0]!.text;
    assert.ok(new TextEncoder().encode(cut).length <= 4096, `${cut.length}`);
    assert.match(
      cut,
      /^é+ … \[line cut: 6291456 bytes, the limit is 4096 \(setting logMaxLineBytes\)\]$/,
    );
    assert.equal(lines[1]!.text, "after");
  });
});

Deno.test("a secret that a cut of logMaxLineBytes splits in two leaves no start of itself in the line", async () => {
  await withEngine({ logMaxLineBytes: 1024 }, async (engine, pool) => {
    const secret = "Zq7-Secret-Value-42";
    await engine.secrets.set("tok", secret);
    // Lines whose cut (about 950 bytes in) falls at every place inside the secret, as it is,
    // in upper case and in base64.
    const { job, lines } = await run(
      engine,
      pool,
      `var s = GetSecret("tok");
       var forms = [s, s.toUpperCase(), btoa("user:" + s)];
       for (var f = 0; f < forms.length; f++)
         for (var k = 850; k < 1000; k++) Log.Info("x".repeat(k) + forms[f] + "y".repeat(2000));`,
    );
    assert.equal(job.status, "succeeded", job.error ?? "");
    assert.equal(lines.length, 3 * 150);
    const forms = [secret, secret.toUpperCase(), btoa("user:" + secret).slice(8)];
    for (const { text } of lines) {
      assert.ok(new TextEncoder().encode(text).length <= 1024, text);
      const head = text.slice(0, text.indexOf(" … [line cut: "));
      assert.ok(head.length > 800, text);
      for (const form of forms) {
        for (let n = 1; n <= form.length; n++) {
          assert.ok(!head.endsWith(form.slice(0, n)), `${form.slice(0, n)} at the cut: ${head}`);
        }
      }
      assert.ok(!head.includes(secret.slice(0, 8)), head);
    }
  });
});

Deno.test("a secret of 64 KiB (a key or a certificate bundle) is hidden in its log lines, as it is, in hex and in base64", async () => {
  await withEngine({ logMaxLineBytes: 1 << 20 }, async (engine, pool) => {
    const bytes = crypto.getRandomValues(new Uint8Array(48 * 1024));
    const secret = btoa(String.fromCharCode(...bytes)); // 64 KiB of text
    await engine.secrets.set("bundle", secret);
    const { job, lines } = await run(
      engine,
      pool,
      `var s = GetSecret("bundle");
       var hex = "";
       for (var i = 0; i < s.length; i++) hex += s.charCodeAt(i).toString(16);
       Log.Info("len=" + s.length);
       Log.Info("as it is: " + s);
       Log.Info("hex: " + hex);
       Log.Info("base64: " + btoa(s));`,
    );
    assert.equal(job.status, "succeeded", job.error ?? "");
    assert.deepEqual(lines.map((l) => l.text), [
      `len=${secret.length}`,
      "as it is: ***",
      "hex: ***",
      "base64: ***",
    ]);
  });
});

Deno.test("a runner message aft cannot handle ends the job failed at once, saying so, instead of leaving it running", async () => {
  await withEngine({}, async (engine, pool) => {
    const { job } = await run(engine, pool, 'Log.Info("one"); Sleep(60000);', {
      // Stands for any fault in handling the script's line (the runner's message).
      onLog: (line) => {
        if (line.text === "one") throw new TypeError("a fault of aft's own");
      },
    });
    assert.equal(job.status, "failed");
    assert.equal(
      job.error,
      "aft could not handle a message from the job's runner (an internal error: TypeError), so the job was stopped",
    );
  });
});

Deno.test("a job whose log lines cannot be stored because the disk is full ends failed, never succeeded", async () => {
  await withEngine({}, async (engine, pool) => {
    const path = join(engine.dataDir, "aft.db");
    const queued = await engine.store.jobs.create({
      scriptId: null,
      scriptName: "t",
      filePath: null,
      params: {},
      trigger: "cli",
    });
    // The same database, full: nothing more fits (the job's row is updated in place).
    const probe = new DatabaseSync(path);
    const pages = Number(
      (probe.prepare("PRAGMA page_count").get() as { page_count: number })
        .page_count,
    );
    probe.close();
    const full = new SqliteStore(path, { maxPageCount: pages });
    const fullEngine: Engine = { ...engine, store: full };
    const errors: string[] = [];
    const consoleError = console.error;
    console.error = (...a: unknown[]) => void errors.push(a.join(" "));
    let job: JobRecord;
    try {
      job = await executeJob(
        fullEngine,
        queued,
        {
          source: 'for (var i = 0; i < 3000; i++) Log.Info("line " + i + " " + "x".repeat(100));',
          fileName: "t.syncjs",
        },
        { pool },
      );
    } finally {
      console.error = consoleError;
      await full.close();
    }
    assert.equal(job.status, "failed");
    assert.equal(job.error, "The job's log could not be stored because the disk is full");
    const stored = await engine.store.jobs.get(queued.id);
    assert.equal(stored?.status, "failed");
    assert.equal(stored?.error, job.error);
    // Said once, not once per batch of lines.
    assert.equal(errors.filter((e) => /disk full/.test(e)).length, 1, errors.join("\n"));
    assert.ok(!errors.some((e) => /cannot rollback/.test(e)), errors.join("\n"));
  });
});

Deno.test("a runner killed with -9 mid-job: every line it sent before is stored, and the job ends failed", async () => {
  await withEngine({}, async (engine, pool) => {
    let runner: RunnerProcess | undefined;
    const spy: Runners = {
      acquire: async (m) => runner = await pool.acquire(m),
      release: (r, reusable) => pool.release(r as RunnerProcess, reusable),
      warm: (m) => pool.warm(m),
      close: () => pool.close(),
    };
    const queued = await engine.store.jobs.create({
      scriptId: null,
      scriptName: "t",
      filePath: null,
      params: {},
      trigger: "cli",
    });
    let seen = 0;
    const job = await executeJob(engine, queued, {
      source: 'for (var i = 0; i < 500; i++) Log.Info("line " + i);\nfor (;;) {}',
      fileName: "t.syncjs",
    }, {
      pool: spy,
      onLog: (l) => {
        if (l.text.startsWith("line ") && ++seen === 500) Deno.kill(runner!.pid, "SIGKILL");
      },
    });
    assert.equal(job.status, "failed");
    const lines = await engine.store.jobs.logs(job.id);
    const kept = lines.filter((l) => l.text.startsWith("line "));
    assert.equal(kept.length, 500);
    kept.forEach((l, i) => assert.equal(l.text, `line ${i}`));
    assert.match(lines.at(-1)!.text, /runner|stopped|ended/i);
  });
});

Deno.test("a job's recorded error is cut to MAX_JOB_ERROR_CHARS, saying how long it was; its log line has more", async () => {
  await withEngine({}, async (engine, pool) => {
    const { job, lines } = await run(engine, pool, 'throw new Error("x".repeat(5000000));');
    assert.equal(job.status, "failed");
    const want = `Uncaught Error: ${
      "x".repeat(MAX_JOB_ERROR_CHARS - 16)
    }... (5000016 characters; the job's log has more)`;
    assert.equal(job.error, want);
    assert.equal((await engine.store.jobs.get(job.id))?.error, want);
    // The log line is cut by the log's own limit (64 KiB by default), not by this one.
    const line = lines.find((l) => l.level === "error")!;
    assert.ok(line.text.length > 60_000 && line.text.length < 70_000, String(line.text.length));
  });
  // Short errors stay as they are; a cut never leaves half a surrogate pair.
  assert.equal(recordedError("short"), "short");
  const emoji = "x".repeat(MAX_JOB_ERROR_CHARS - 1) + "\u{1F600}" + "y".repeat(10);
  assert.match(recordedError(emoji), new RegExp(`^x{${MAX_JOB_ERROR_CHARS - 1}}\\.\\.\\. \\(`));
});

Deno.test("a script that ignores the halt is killed after the grace period as it is at the halt, not as it was at the start", async () => {
  await withEngine({ haltGraceSeconds: 600 }, async (engine, pool) => {
    const halt = new AbortController();
    let started: () => void = () => {};
    const running = new Promise<void>((r) => started = r);
    const done = run(engine, pool, 'Log.Info("busy");\nfor (;;) {}', {
      signal: halt.signal,
      onLog: (l) => l.text === "busy" && started(),
    });
    await running;
    await saveSetting(engine.store, "haltGraceSeconds", 1);
    const at = Date.now();
    halt.abort();
    const { job, lines } = await done;
    assert.ok(Date.now() - at < 30_000, `${Date.now() - at} ms: the 600 s grace was used`);
    assert.equal(job.status, "halted");
    assert.equal(job.error, "The job was halted and killed after the grace period");
    assert.ok(
      lines.some((l) =>
        l.text === "The script did not stop within 1 s of the halt signal: killing it"
      ),
      JSON.stringify(lines.map((l) => l.text)),
    );
  });
});
