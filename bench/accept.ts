/**
 * The accept path alone: CPU seconds `aft serve` spends per job accepted over HTTPS
 * (`POST /v1/jobs` with an API key), with its node drained so that no job runs while the
 * requests come in. CPU time per job means something even on a busy machine, where requests
 * per second do not; both are printed, with the same figures for the bare `Deno.serve` peer of
 * `bench/jobs.ts` (same TLS certificate, same clients, same bodies).
 *
 *   deno task bench:accept                        # 2,000 jobs, 16 clients, 3 rounds
 *   deno task bench:accept --jobs 4000 --rounds 5
 *   deno task bench:accept --cpu-prof DIR         # also a V8 CPU profile of the service
 *
 * The CPU figures are read from `/proc/PID/stat` (Linux): the whole process, and its main
 * thread alone (JavaScript, HTTP and TLS, SQLite run there).
 *
 * @module
 */

import { parseArgs } from "node:util";
import { join } from "node:path";
import { aftCommand, runAft } from "../tests/e2e/_cli.ts";
import { freePort } from "../tests/e2e/_service.ts";
import { CLK_TCK, machineCheck, median, procStatFields } from "./_machine.ts";
import { postJobs, postJobsOptions } from "./_post_jobs.ts";

const machine = machineCheck(Deno.args);
const { values } = parseArgs({
  args: machine.args,
  options: {
    ...postJobsOptions,
    rounds: { type: "string", default: "3" },
    "cpu-prof": { type: "string" },
  },
});
const total = Number(values.jobs);
const clients = Number(values.clients);
const rounds = Number(values.rounds);
const PEER = new URL("./_jobs_peer.ts", import.meta.url).pathname;

/** CPU seconds of process `pid` so far: all threads, and the main thread. */
function cpuOf(pid: number): { all: number; main: number } {
  const read = (path: string) => {
    const f = procStatFields(Deno.readTextFileSync(path));
    return (Number(f[11]) + Number(f[12])) / CLK_TCK; // utime, stime
  };
  return { all: read(`/proc/${pid}/stat`), main: read(`/proc/${pid}/task/${pid}/stat`) };
}

interface Round {
  perSec: number;
  cpuMsPerJob: number;
  mainMsPerJob: number;
}

/** One round against `url`, served by process `pid`. */
async function round(url: string, pid: number, http: Deno.HttpClient, key: string) {
  const c0 = cpuOf(pid);
  const t0 = performance.now();
  const refused = await postJobs({ url, http, key, total, clients });
  const secs = (performance.now() - t0) / 1000;
  const c1 = cpuOf(pid);
  if (refused) throw new Error(`${refused} of ${total} requests refused`);
  return {
    perSec: total / secs,
    cpuMsPerJob: (c1.all - c0.all) * 1000 / total,
    mainMsPerJob: (c1.main - c0.main) * 1000 / total,
  } satisfies Round;
}

const data = await Deno.makeTempDir({ prefix: "aft-bench-accept-" });
const must = async (args: string[]) => {
  const r = await runAft(args, { data });
  if (r.code !== 0) throw new Error(`aft ${args.join(" ")}: ${r.stderr}`);
  return r.stdout.trim();
};
const show = (what: string, rs: Round[]) => {
  const m = (f: (r: Round) => number) => median(rs.map(f));
  console.log(
    `  ${what.padEnd(44)} ${m((r) => r.perSec).toFixed(0).padStart(5)} req/s   ` +
      `CPU ${m((r) => r.cpuMsPerJob).toFixed(2)} ms/job (main thread ${
        m((r) => r.mainMsPerJob).toFixed(2)
      })`,
  );
};

try {
  await Deno.writeTextFile(join(data, "trivial.syncjs"), 'Log.Info("job " + Param("n"));\n');
  await must(["script", "add", "trivial", "-f", join(data, "trivial.syncjs")]);
  const key = await must(["apikey", "create", "bench"]);
  const port = freePort();
  const [cmd, ...pre] = aftCommand();
  const prof = values["cpu-prof"];
  if (prof && pre[0] !== "run") throw new Error("--cpu-prof needs deno run (AFT_BIN unset)");
  const child = new Deno.Command(cmd!, {
    args: [
      ...(prof ? ["run", "--cpu-prof", `--cpu-prof-dir=${prof}`, ...pre.slice(1)] : pre),
      "--data",
      data,
      "serve",
      "--listen",
      `127.0.0.1:${port}`,
    ],
    env: { NO_COLOR: "1" },
    stdout: "null",
    stderr: "piped",
  }).spawn();
  let log = "";
  const pump = (async () => {
    for await (const c of child.stderr) log += new TextDecoder().decode(c);
  })();
  const until = async (re: RegExp) => {
    const end = Date.now() + 60_000;
    while (!re.test(log)) {
      if (Date.now() > end) throw new Error(`aft serve: no ${re}:\n${log}`);
      await new Promise((r) => setTimeout(r, 100));
    }
  };
  await until(/serving https:/);
  await until(/node (\S+)/);
  const node = /, node (\S+)/.exec(log)![1]!;
  await must(["nodes", "drain", node]);
  await until(/draining: no new jobs/);

  const ca = await Deno.readTextFile(join(data, "tls", "ca.pem"));
  const http = Deno.createHttpClient({ caCerts: [ca] });
  const url = `https://127.0.0.1:${port}/v1/jobs`;
  await postJobs({ url, http, key, total, clients }); // warm-up, not counted
  const aft: Round[] = [];
  for (let i = 0; i < rounds; i++) aft.push(await round(url, child.pid, http, key));
  child.kill("SIGTERM");
  await child.status;
  await pump;

  const peerPort = freePort();
  const peer = new Deno.Command(Deno.execPath(), {
    args: [
      "run",
      "--allow-all",
      PEER,
      "serve",
      join(data, "tls", "server.pem"),
      join(data, "tls", "server.key"),
      String(peerPort),
    ],
    stdout: "piped",
  }).spawn();
  const reader = peer.stdout.getReader();
  await reader.read(); // "ready"
  reader.releaseLock();
  const peerUrl = `https://127.0.0.1:${peerPort}/v1/jobs`;
  await postJobs({ url: peerUrl, http, key: "peer", total, clients });
  const bare: Round[] = [];
  for (let i = 0; i < rounds; i++) bare.push(await round(peerUrl, peer.pid, http, "peer"));
  peer.kill("SIGTERM");
  await peer.status;
  await peer.stdout.cancel().catch(() => {});
  http.close();

  console.log(`--- ${total} jobs from ${clients} HTTPS clients, node drained, median of ${rounds}`);
  show("aft serve, POST /v1/jobs accepted", aft);
  show("peer: bare Deno.serve, same TLS and clients", bare);
  const cpu = (rs: Round[]) => median(rs.map((r) => r.cpuMsPerJob));
  console.log(`  aft/peer CPU per job ${(cpu(aft) / cpu(bare)).toFixed(2)}`);
  if (prof) console.log(`  CPU profile of the service in ${prof}`);
  machine.footer();
} finally {
  await Deno.remove(data, { recursive: true });
}
