/**
 * The queue across nodes, on a throw-away PostgreSQL server (tests/fixtures/postgres.ts), in one
 * run:
 *
 * 1. claims per second: aft's queue as a node's slots use it (a claim with `FOR UPDATE SKIP
 *    LOCKED`, then each job's end recorded with the next job claimed in the same statement,
 *    `jobs.finishAndClaim`) against graphile-worker's (the peer: its `get_job` and
 *    `complete_job` through its own runner with a no-op task), each with the same number of
 *    workers on the same database;
 * 2. jobs completed per second with one, two and three `aft serve` nodes sharing the database
 *    (a one-line script; each node runs up to its `maxConcurrentJobs`, default 4).
 *
 *   deno task bench:cluster                    # 5000 claims, 300 jobs
 *   deno task bench:cluster -- 20000 1000      # claims, jobs
 *   deno task bench:cluster -- --allow-busy    # report even when the load is above 1 (marked)
 *
 * Needs Linux and Debian's postgresql (installed by .ci/run). The nodes share this machine's
 * cores, so jobs per second says how the queue scales, not how more hosts would.
 *
 * @module
 */

import { join } from "node:path";
import { Logger, makeWorkerUtils, run as runGraphile } from "graphile-worker";
import { PostgresStore } from "../src/store/postgres/postgres.ts";
import { startPostgres } from "../tests/fixtures/postgres.ts";
import { runAft } from "../tests/e2e/_cli.ts";
import { type RunningService, startService } from "../tests/e2e/_service.ts";
import { machineCheck, ratio } from "./_machine.ts";

const WORKERS = 8;

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const input = { scriptId: null, filePath: null, params: {}, trigger: "api" as const };

/** Adds `n` queued jobs to `store`, 50 at a time. */
async function fill(store: PostgresStore, n: number, scriptName: string, scriptId: string | null) {
  for (let i = 0; i < n; i += 50) {
    await Promise.all(
      Array.from(
        { length: Math.min(50, n - i) },
        () => store.jobs.create({ ...input, scriptName, scriptId }),
      ),
    );
  }
}

/**
 * aft's queue: WORKERS slots, each claiming a job, then ending it and claiming the next in one
 * call as `src/engine/queue.ts` does, until nothing is queued.
 */
async function aftClaims(url: string, claims: number): Promise<number> {
  const store = new PostgresStore(url, { max: WORKERS + 1 });
  await store.migrate();
  await fill(store, claims, "noop", null);
  const t = performance.now();
  await Promise.all(Array.from({ length: WORKERS }, async (_, w) => {
    const slot = { node: `bench-${w}`, owner: `${w}:0` };
    let job = await store.jobs.claim(slot.node, slot);
    while (job) {
      const end = {
        status: "succeeded" as const,
        exitCode: 0,
        finishedAt: new Date().toISOString(),
      };
      job = (await store.jobs.finishAndClaim(job.id, end, slot)).next;
    }
  }));
  const secs = (performance.now() - t) / 1000;
  const done = (await store.jobs.countByStatus()).succeeded;
  await store.close();
  if (done !== claims) throw new Error(`aft finished ${done} of ${claims} jobs`);
  return claims / secs;
}

/** graphile-worker's log, warnings and errors only. */
const quiet = new Logger(() => (level, message) => {
  if (level === "error" || level === "warning") console.error(`graphile-worker: ${message}`);
});

/** graphile-worker: its runner with WORKERS concurrency and a no-op task. */
async function graphileClaims(url: string, claims: number): Promise<number> {
  const utils = await makeWorkerUtils({ connectionString: url, logger: quiet });
  await utils.migrate();
  for (let i = 0; i < claims; i += 500) {
    await utils.addJobs(
      Array.from(
        { length: Math.min(500, claims - i) },
        () => ({ identifier: "noop", payload: {} }),
      ),
    );
  }
  let done = 0;
  const t = performance.now();
  const runner = await runGraphile({
    connectionString: url,
    concurrency: WORKERS,
    noHandleSignals: true,
    pollInterval: 1000,
    // Warnings and errors only: a line per completed job would cost the peer its own time.
    logger: quiet,
    taskList: {
      noop: () => {
        done++;
        return Promise.resolve();
      },
    },
  });
  while (done < claims) await sleep(5);
  // The last completions are written after the task returns: wait for an empty table.
  for (;;) {
    const left = await utils.withPgClient((c) =>
      c.query("SELECT count(*) AS n FROM graphile_worker.jobs")
    );
    if (Number(left.rows[0].n) === 0) break;
    await sleep(5);
  }
  const secs = (performance.now() - t) / 1000;
  await runner.stop();
  await utils.release();
  return claims / secs;
}

/** Jobs per second with `n` aft serve nodes on a new database. */
async function nodeJobs(pgUrl: string, n: number, jobs: number): Promise<number> {
  const dir = await Deno.makeTempDir({ prefix: "aft-bench-cluster-" });
  const env = {
    AFT_STORE: pgUrl,
    AFT_MASTER_KEY: "cd".repeat(32),
    AFT_CONFIG_DIR: join(dir, "config"),
  };
  const nodes: RunningService[] = [];
  const store = new PostgresStore(pgUrl, { max: 4 });
  try {
    const file = join(dir, "one.syncjs");
    await Deno.writeTextFile(file, 'Log.Info("done");');
    const data = (i: number) => join(dir, `n${i}`);
    await Deno.mkdir(data(1), { recursive: true, mode: 0o700 });
    const add = await runAft(["script", "add", "one", "-f", file], { data: data(1), env });
    if (add.code !== 0) throw new Error(add.stderr);
    for (let i = 1; i <= n; i++) {
      await Deno.mkdir(data(i), { recursive: true, mode: 0o700 });
      nodes.push(await startService(data(i), { env, args: ["--node", `n${i}`] }));
    }
    await store.migrate();
    const script = (await store.scripts.getByName("one"))!;
    // Warm each node's runner pool, then measure.
    await fill(store, n * 4, "one", script.id);
    while ((await store.jobs.countByStatus()).succeeded < n * 4) await sleep(50);
    const t = performance.now();
    await fill(store, jobs, "one", script.id);
    for (;;) {
      const c = await store.jobs.countByStatus();
      if (c.queued + c.running === 0) break;
      await sleep(20);
    }
    const secs = (performance.now() - t) / 1000;
    const c = await store.jobs.countByStatus();
    if (c.succeeded !== jobs + n * 4) throw new Error(`jobs: ${JSON.stringify(c)}`);
    return jobs / secs;
  } finally {
    for (const s of nodes) await s.stop("SIGTERM");
    await store.close();
    await Deno.remove(dir, { recursive: true });
  }
}

if (import.meta.main) {
  // Exits when the machine is busy (no --allow-busy).
  const machine = machineCheck(Deno.args);
  const CLAIMS = Number(machine.args[0] ?? 5000);
  const JOBS = Number(machine.args[1] ?? 300);
  const pg = await startPostgres();
  try {
    const fmt = (x: number) => x.toFixed(0).padStart(8);
    console.log(`claims: ${CLAIMS} jobs, ${WORKERS} workers, one database each`);
    const aft = await aftClaims(await pg.createDatabase(), CLAIMS);
    const peer = await graphileClaims(await pg.createDatabase(), CLAIMS);
    console.log(`  aft queue        ${fmt(aft)} claims/s`);
    console.log(`  graphile-worker  ${fmt(peer)} claims/s`);
    console.log(`  aft / graphile-worker: ${ratio(aft, peer)}`);
    console.log(`jobs completed: ${JOBS} one-line scripts`);
    const rates: number[] = [];
    for (const n of [1, 2, 3]) {
      rates.push(await nodeJobs(await pg.createDatabase(), n, JOBS));
      console.log(
        `  ${n} node(s)  ${fmt(rates.at(-1)!)} jobs/s  (x${ratio(rates.at(-1)!, rates[0]!)})`,
      );
    }
    machine.footer();
  } finally {
    await pg.stop();
  }
}
