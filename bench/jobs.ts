/**
 * Job queue benchmark: trivial jobs queued over HTTPS (`POST /v1/jobs`) by concurrent clients
 * against a real `aft serve`, then run to completion by its queue. Prints jobs accepted per
 * second, jobs completed per second, the CPU time the service (with its runner processes) spent
 * per job (from /proc on Linux: unlike the rates, it does not depend on the machine's load), and
 * p50/p99 queue-to-finish latency (createdAt to finishedAt of each job, from the job history).
 *
 *   deno task bench:jobs                          # 2,000 jobs, 16 clients
 *   deno task bench:jobs --jobs 500 --clients 8
 *
 * No other program does the same, so the peers, run in the same run after the service has
 * stopped (`_jobs_peer.ts`), are the least each half can cost on this machine: a bare
 * `Deno.serve` over the same TLS certificate answering the same POSTs from the same clients,
 * and the same number of trivial scripts each in a fresh Worker, as many at a time as the
 * service runs. The targets are 500 accepted/s and 100 completed/s on 2 cores.
 *
 *   deno task bench:jobs --allow-busy             # report even when the load is above 1 (marked)
 *
 * @module
 */

import { parseArgs } from "node:util";
import { join } from "node:path";
import { DatabaseSync } from "node:sqlite";
import { runAft } from "../tests/e2e/_cli.ts";
import { freePort, startService } from "../tests/e2e/_service.ts";
import { CLK_TCK, machineCheck, procStatFields, ratio } from "./_machine.ts";
import { postJobs, postJobsOptions } from "./_post_jobs.ts";

const machine = machineCheck(Deno.args);
const { values } = parseArgs({
  args: machine.args,
  options: {
    ...postJobsOptions,
    concurrency: { type: "string", default: "4", short: "c" },
  },
});
const total = Number(values.jobs);
const clients = Number(values.clients);

const PEER = new URL("./_jobs_peer.ts", import.meta.url).pathname;

/**
 * CPU seconds (user + system) used so far by process `pid` and all its descendants, the
 * finished ones included (Linux /proc; undefined elsewhere). Unlike wall time it does not
 * depend on what else the machine runs.
 */
function treeCpuSeconds(pid: number): number | undefined {
  const stats = new Map<number, { ppid: number; ticks: number }>();
  try {
    for (const e of Deno.readDirSync("/proc")) {
      if (!/^\d+$/.test(e.name)) continue;
      try {
        const text = Deno.readTextFileSync(`/proc/${e.name}/stat`);
        const f = procStatFields(text);
        const ticks = Number(f[11]) + Number(f[12]) + Number(f[13]) + Number(f[14]);
        stats.set(Number(e.name), { ppid: Number(f[1]), ticks });
      } catch { /* gone meanwhile */ }
    }
  } catch {
    return undefined;
  }
  const tree = new Set([pid]);
  for (let grew = true; grew;) {
    grew = false;
    for (const [p, s] of stats) {
      if (!tree.has(p) && tree.has(s.ppid)) {
        tree.add(p);
        grew = true;
      }
    }
  }
  let ticks = 0;
  for (const p of tree) ticks += stats.get(p)?.ticks ?? 0;
  return ticks / CLK_TCK;
}

/** The peers' figures: bare HTTPS requests per second, and trivial Workers per second. */
async function peers(
  data: string,
  http: Deno.HttpClient,
): Promise<{ http: number; workers: number }> {
  const port = freePort();
  const tls = join(data, "tls");
  const child = new Deno.Command(Deno.execPath(), {
    args: [
      "run",
      "--allow-all",
      PEER,
      "serve",
      join(tls, "server.pem"),
      join(tls, "server.key"),
      String(port),
    ],
    stdout: "piped",
    stderr: "inherit",
  }).spawn();
  const reader = child.stdout.getReader();
  await reader.read(); // "ready"
  reader.releaseLock();
  const url = `https://127.0.0.1:${port}/v1/jobs`;
  await postJobs({ url, http, key: "peer", total, clients }).catch(() => 0); // warm-up round, not counted
  const t0 = performance.now();
  await postJobs({ url, http, key: "peer", total, clients });
  const httpSecs = (performance.now() - t0) / 1000;
  child.kill("SIGTERM");
  await child.status;
  await child.stdout.cancel().catch(() => {});
  const out = await new Deno.Command(Deno.execPath(), {
    args: [
      "run",
      "--allow-all",
      "--unstable-worker-options",
      PEER,
      "workers",
      String(total),
      String(values.concurrency),
    ],
    stdout: "piped",
  }).output();
  const workerSecs = Number(new TextDecoder().decode(out.stdout).trim());
  return { http: total / httpSecs, workers: total / workerSecs };
}

const data = await Deno.makeTempDir({ prefix: "aft-bench-jobs-" });
const must = async (args: string[]) => {
  const r = await runAft(args, { data });
  if (r.code !== 0) throw new Error(`aft ${args.join(" ")}: ${r.stderr}`);
  return r.stdout.trim();
};

try {
  const script = join(data, "trivial.syncjs");
  await Deno.writeTextFile(script, 'Log.Info("job " + Param("n"));\n');
  await must(["script", "add", "trivial", "-f", script]);
  await must(["settings", "set", "maxConcurrentJobs", String(values.concurrency)]);
  const key = await must(["apikey", "create", "bench"]);
  const svc = await startService(data);
  const ca = await Deno.readTextFile(join(data, "tls", "ca.pem"));
  const http = Deno.createHttpClient({ caCerts: [ca] });
  const url = `https://127.0.0.1:${svc.port}/v1/jobs`;

  // Warm up: one job through the whole path.
  await fetch(url, {
    method: "POST",
    client: http,
    headers: { "X-API-Key": key, "Content-Type": "application/json" },
    body: JSON.stringify({ scriptName: "trivial", params: { n: "warm-up" } }),
  }).then((r) => r.body?.cancel());
  await new Promise((r) => setTimeout(r, 1500));

  console.log(
    `--- ${total} jobs from ${clients} concurrent HTTPS clients, ${values.concurrency} running at once`,
  );
  const cpu0 = treeCpuSeconds(svc.child.pid);
  const t0 = performance.now();
  const refused = await postJobs({ url, http, key, total, clients });
  const accepted = (performance.now() - t0) / 1000;

  const db = new DatabaseSync(join(data, "aft.db"), { readOnly: true });
  const count = db.prepare(
    "SELECT count(*) AS n FROM jobs WHERE status IN ('succeeded','failed','halted')",
  );
  for (;;) {
    const n = Number(count.get()?.n);
    if (n >= total + 1) break;
    await new Promise((r) => setTimeout(r, 20));
  }
  const completed = (performance.now() - t0) / 1000;
  const cpu1 = treeCpuSeconds(svc.child.pid);
  const rows = db.prepare(
    "SELECT status, created_at, finished_at FROM jobs WHERE params NOT LIKE '%warm-up%'",
  ).all() as { status: string; created_at: string; finished_at: string }[];
  db.close();
  const failed = rows.filter((r) => r.status !== "succeeded").length;
  const lat = rows.map((r) => Date.parse(r.finished_at) - Date.parse(r.created_at)).sort((a, b) =>
    a - b
  );
  const pct = (p: number) => lat[Math.min(lat.length - 1, Math.floor((p / 100) * lat.length))]!;

  await svc.stop();
  const peer = await peers(data, http);
  http.close();

  console.log(
    `  accepted      ${(total / accepted).toFixed(0)} jobs/s  (${
      accepted.toFixed(2)
    } s, target 500; ${refused} refused)`,
  );
  console.log(
    `    peer: bare Deno.serve, same TLS and clients  ${peer.http.toFixed(0)} req/s  (aft/peer ${
      ratio(total / accepted, peer.http)
    })`,
  );
  console.log(
    `  completed     ${(total / completed).toFixed(0)} jobs/s  (${
      completed.toFixed(2)
    } s, target 100; ${failed} not succeeded)`,
  );
  console.log(
    `    peer: a fresh Worker per trivial script, ${values.concurrency} at a time  ${
      peer.workers.toFixed(0)
    } scripts/s  (aft/peer ${ratio(total / completed, peer.workers)})`,
  );
  if (cpu0 !== undefined && cpu1 !== undefined) {
    console.log(
      `  service CPU   ${((cpu1 - cpu0) * 1000 / total).toFixed(1)} ms per job  (${
        (cpu1 - cpu0).toFixed(1)
      } CPU-s for accepting and running them: aft serve and its runners, from /proc)`,
    );
  }
  console.log(
    `  queue-to-finish latency  p50 ${pct(50)} ms  p99 ${pct(99)} ms  (all jobs queued at once)`,
  );
  machine.footer();
} finally {
  await Deno.remove(data, { recursive: true });
}
