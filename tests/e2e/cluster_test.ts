/**
 * Three `aft serve` nodes on one throw-away PostgreSQL database, end to end with the real CLI:
 * jobs submitted to the nodes in turn run exactly once; nodes are listed, drained and say so in
 * their health; a halt sent to one node stops a job on another; a job's live log followed
 * through another node shows every line once; an every-second schedule runs once per slot; a
 * node killed with SIGKILL has its jobs failed by the others, which keep going; the database
 * restarted mid-run loses no job and runs none twice; a node with another master key refuses
 * to start.
 *
 * Scale: `AFT_CLUSTER_JOBS` jobs (default 150; the issue's full run is 2000) and an
 * every-second schedule for `AFT_CLUSTER_SCHEDULE_SECONDS` (default 10; the issue's is 120).
 */

import assert from "node:assert/strict";
import { join } from "node:path";
import { runAft } from "./_cli.ts";
import { freePort, type RunningService, startService, stopClean } from "./_service.ts";
import { startPostgres } from "../fixtures/postgres.ts";

const JOBS = Number(Deno.env.get("AFT_CLUSTER_JOBS") || 150);
const SCHEDULE_SECONDS = Number(Deno.env.get("AFT_CLUSTER_SCHEDULE_SECONDS") || 10);
// Short enough to wait for, long enough for a node's heartbeat on a busy test machine.
const LEASE = 10;

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

interface Node {
  name: string;
  data: string;
  svc: RunningService;
  client: Deno.HttpClient;
}

if (Deno.build.os !== "linux") {
  Deno.test({ name: "three nodes on PostgreSQL (runs on Linux)", ignore: true, fn() {} });
} else {
  Deno.test("three aft serve nodes on one PostgreSQL database", async (t) => {
    const pg = await startPostgres({ durable: true });
    const dir = await Deno.makeTempDir({ prefix: "aft-cluster-" });
    const url = await pg.createDatabase();
    const db = new URL(url).pathname.slice(1);
    const masterKey = Array.from(crypto.getRandomValues(new Uint8Array(32)))
      .map((b) => b.toString(16).padStart(2, "0")).join("");
    const env = {
      AFT_STORE: url,
      AFT_MASTER_KEY: masterKey,
      AFT_CONFIG_DIR: join(dir, "config"),
    };
    const nodes: Node[] = [];
    const sql = (q: string) => pg.psql(q, db);
    const aft = async (args: string[], data = join(dir, "n1")) => {
      const r = await runAft(args, { data, env });
      assert.equal(r.code, 0, `aft ${args.join(" ")}: ${r.stderr}`);
      return r.stdout.trim();
    };
    let key = "";
    const call = async (n: Node, method: string, path: string, body?: unknown) => {
      const res = await fetch(`https://${n.svc.host}${path}`, {
        method,
        client: n.client,
        headers: { "X-API-Key": key, "Content-Type": "application/json" },
        body: body === undefined ? undefined : JSON.stringify(body),
      });
      const text = await res.text();
      return { status: res.status, json: text ? JSON.parse(text) : null };
    };
    const submit = async (n: Node, scriptName: string, params?: Record<string, string>) => {
      const r = await call(n, "POST", "/v1/jobs", { scriptName, params });
      assert.equal(r.status, 201, JSON.stringify(r.json));
      return r.json.id as string;
    };
    const job = async (id: string) => (await call(nodes[0]!, "GET", `/v1/adm/jobs/${id}`)).json;
    const until = async <T>(what: string, fn: () => Promise<T | undefined>, ms = 60_000) => {
      const end = Date.now() + ms;
      for (;;) {
        const v = await fn();
        if (v !== undefined) return v;
        if (Date.now() > end) throw new Error(`waited in vain for ${what}`);
        await sleep(100);
      }
    };
    const status = (id: string, want: string[]) =>
      until(`job ${id} to be ${want}`, async () => {
        const j = await job(id);
        return want.includes(j.status) ? j : undefined;
      });
    const drain = async (names: string[], on: boolean) => {
      for (const name of names) {
        const r = await call(nodes[0]!, on ? "POST" : "DELETE", `/v1/adm/nodes/${name}/drain`);
        assert.equal(r.status, 200, JSON.stringify(r.json));
      }
      // Each node follows its flag at its next heartbeat (a third of the lease).
      for (const name of names) {
        const n = nodes.find((x) => x.name === name)!;
        await until(`${name} draining ${on}`, async () => {
          const h = await call(n, "GET", "/v1/health");
          return (h.json.status === "draining") === on ? true : undefined;
        });
      }
    };

    try {
      await Deno.mkdir(join(dir, "scripts"));
      const scripts: Record<string, string> = {
        echo: 'Log.Info("ran " + JobID());',
        slow:
          'Log.Info("ran " + JobID());\nfor (var i = 0; i < 1200; i++) { if (Sleep(50) === false) break; }',
        count:
          'var n = Number(Params("lines") || "30");\nfor (var i = 0; i < n; i++) { Log.Info("line " + i); Sleep(40); }',
      };
      await Deno.mkdir(join(dir, "n1"), { mode: 0o700 });
      for (const [name, src] of Object.entries(scripts)) {
        const f = join(dir, "scripts", `${name}.syncjs`);
        await Deno.writeTextFile(f, src);
        await aft(["script", "add", name, "-f", f]);
      }
      key = await aft([
        "apikey",
        "create",
        "ci",
        "--scope",
        "admin",
        "--scope",
        "jobs:start",
        "--scope",
        "jobs:read",
      ]);
      await aft(["settings", "set", "nodeLeaseSeconds", String(LEASE)]);
      await aft(["settings", "set", "maxConcurrentJobs", "4"]);
      for (const name of ["n1", "n2", "n3"]) {
        const data = join(dir, name);
        await Deno.mkdir(data, { recursive: true, mode: 0o700 });
        const svc = await startService(data, { env, args: ["--node", name] });
        const ca = await Deno.readTextFile(join(data, "tls", "ca.pem"));
        nodes.push({ name, data, svc, client: Deno.createHttpClient({ caCerts: [ca] }) });
      }
      const [n1, n2, n3] = nodes as [Node, Node, Node];

      await t.step("nodes are listed with their addresses; health names the node", async () => {
        const list = (await call(n2, "GET", "/v1/adm/nodes")).json as {
          id: string;
          address: string;
          draining: boolean;
        }[];
        assert.deepEqual(list.map((n) => [n.id, n.address, n.draining]), [
          ["n1", n1.svc.host, false],
          ["n2", n2.svc.host, false],
          ["n3", n3.svc.host, false],
        ]);
        const h = await call(n3, "GET", "/v1/health");
        assert.equal(h.status, 200);
        assert.deepEqual([h.json.status, h.json.node], ["ok", "n3"]);
        const cli = JSON.parse(await aft(["nodes", "--json"]));
        assert.deepEqual(cli.map((n: { id: string }) => n.id), ["n1", "n2", "n3"]);
      });

      await t.step(
        `${JOBS} jobs submitted to the nodes in turn each run exactly once`,
        async () => {
          const ids: string[] = [];
          for (let i = 0; i < JOBS; i++) ids.push(await submit(nodes[i % 3]!, "echo"));
          await until("every job to finish", async () => {
            const left = await sql(
              "SELECT count(*) FROM jobs WHERE status IN ('queued', 'running')",
            );
            return Number(left) === 0 ? true : undefined;
          }, 300_000);
          const rows = (await sql(
            `SELECT id, status, node, (SELECT count(*) FROM job_logs l WHERE l.job_id = j.id
            AND l.text = 'ran ' || j.id) FROM jobs j WHERE script_name = 'echo'`,
          )).split("\n").filter(Boolean).map((l) => l.split("|"));
          assert.equal(rows.length, JOBS);
          assert.deepEqual(new Set(rows.map((r) => r[0])), new Set(ids));
          for (const [id, st, , ran] of rows) {
            assert.deepEqual([st, ran], ["succeeded", "1"], `job ${id}`);
          }
          const byNode = new Set(rows.map((r) => r[2]));
          assert.ok(byNode.size >= 2, `jobs ran on ${[...byNode]}`);
        },
      );

      await t.step(
        "a drained node says so and claims nothing; a halt sent to n1 stops a job on n3",
        async () => {
          await drain(["n1", "n2"], true);
          const h = await call(n1, "GET", "/v1/health");
          assert.deepEqual([h.status, h.json.status, h.json.node], [503, "draining", "n1"]);
          const id = await submit(n1, "slow");
          const running = await status(id, ["running"]);
          assert.equal(running.node, "n3");
          await until("the slow job's first line", async () => {
            const log = await call(n1, "GET", `/v1/adm/jobs/${id}/log`);
            return log.json.lines.length > 0 ? true : undefined;
          });
          const halt = await call(n1, "POST", `/v1/adm/jobs/${id}/halt`);
          assert.equal(halt.status, 202, JSON.stringify(halt.json));
          const end = await status(id, ["halted", "failed", "succeeded"]);
          assert.deepEqual([end.status, end.node], ["halted", "n3"]);
          await drain(["n1", "n2"], false);
        },
      );

      await t.step(
        "the live log of a job on n2, followed through n1, shows every line once",
        async () => {
          await drain(["n1", "n3"], true);
          const id = await submit(n2, "count", { lines: "40" });
          const res = await fetch(`https://${n1.svc.host}/v1/adm/jobs/${id}/log`, {
            client: n1.client,
            headers: { "X-API-Key": key, Accept: "text/event-stream" },
          });
          assert.equal(res.status, 200);
          const text = await res.text(); // the stream ends with the job
          const lines = [...text.matchAll(/^event: log\ndata: (.*)$/gm)].map((m) =>
            JSON.parse(m[1]!).text
          );
          const seqs = [...text.matchAll(/^id: (\d+)$/gm)].map((m) => Number(m[1]));
          assert.deepEqual(lines, Array.from({ length: 40 }, (_, i) => `line ${i}`));
          assert.deepEqual(seqs, Array.from({ length: 40 }, (_, i) => i + 1));
          assert.match(text, /event: end\ndata: \{"status":"succeeded"/);
          assert.equal((await job(id)).node, "n2");
          await drain(["n1", "n3"], false);
        },
      );

      await t.step(
        `an every-second schedule over ${SCHEDULE_SECONDS} s runs once per slot`,
        async () => {
          await aft(["schedule", "add", "tick", "--script", "echo", "--cron", "* * * * * *"]);
          await sleep(SCHEDULE_SECONDS * 1000);
          await aft(["schedule", "rm", "tick"]);
          const slots = (await sql(
            "SELECT slot_key, count(*) FROM jobs WHERE trigger = 'schedule' GROUP BY slot_key",
          )).split("\n").filter(Boolean).map((l) => l.split("|"));
          assert.ok(slots.length >= SCHEDULE_SECONDS - 3, `${slots.length} slots ran`);
          for (const [slot, n] of slots) assert.equal(n, "1", `slot ${slot}`);
          const nodesUsed = await sql(
            "SELECT count(DISTINCT node) FROM jobs WHERE trigger = 'schedule'",
          );
          assert.ok(Number(nodesUsed) >= 1);
        },
      );

      await t.step(
        "n2 killed with SIGKILL mid-job: its jobs fail naming it, the others go on",
        async () => {
          await drain(["n1", "n3"], true);
          const ids = [await submit(n2, "slow"), await submit(n3, "slow")];
          for (const id of ids) assert.equal((await status(id, ["running"])).node, "n2");
          await n2.svc.stop("SIGKILL");
          await drain(["n1", "n3"], false);
          for (const id of ids) {
            const j = await status(id, ["failed", "succeeded", "halted"]);
            assert.equal(j.status, "failed");
            assert.match(j.error, /The node "n2" was lost/);
            const log = (await call(n1, "GET", `/v1/adm/jobs/${id}/log`)).json;
            assert.match(log.lines.at(-1).text, /The node "n2" was lost/);
          }
          // Every surface shows the node's state from the engine: n2 is lost, the others ok.
          const states = await until("n2 listed as lost", async () => {
            const list: { id: string; state: string }[] =
              (await call(n1, "GET", "/v1/adm/nodes")).json;
            const by = Object.fromEntries(list.map((n) => [n.id, n.state]));
            return by.n2 === "lost" ? by : undefined;
          });
          assert.deepEqual(states, { n1: "ok", n2: "lost", n3: "ok" });
          const cli = await runAft(["nodes"], { data: n1.data, env });
          assert.equal(cli.code, 0, cli.stderr);
          assert.match(cli.stdout, /n2\s.*\slost/);
          const after = [await submit(n1, "echo"), await submit(n3, "echo")];
          for (const id of after) {
            const j = await status(id, ["succeeded", "failed"]);
            assert.equal(j.status, "succeeded");
            assert.notEqual(j.node, "n2");
          }
        },
      );

      await t.step(
        "the database restarted mid-run: no submitted job lost, none run twice",
        async () => {
          const live = [n1, n3];
          const ids: string[] = [];
          for (let i = 0; i < 20; i++) ids.push(await submit(live[i % 2]!, "echo"));
          await pg.restart({ downMs: 1000 });
          for (let i = 0; i < 20; i++) ids.push(await submit(live[i % 2]!, "echo"));
          await until("the jobs to finish", async () => {
            const left = await sql(
              `SELECT count(*) FROM jobs WHERE id IN (${
                ids.map((i) => `'${i}'`).join(",")
              }) AND status IN ('queued', 'running')`,
            ).catch(() => "1");
            return Number(left) === 0 ? true : undefined;
          }, 120_000);
          const rows = (await sql(
            `SELECT id, (SELECT count(*) FROM job_logs l WHERE l.job_id = j.id
            AND l.text = 'ran ' || j.id) FROM jobs j WHERE id IN (${
              ids.map((i) => `'${i}'`).join(",")
            })`,
          )).split("\n").filter(Boolean).map((l) => l.split("|"));
          assert.equal(rows.length, ids.length, "every submitted job is there");
          for (const [id, ran] of rows) assert.ok(Number(ran) <= 1, `job ${id} ran ${ran} times`);
        },
      );

      await t.step("a node with another master key refuses to start, saying so", async () => {
        const data = join(dir, "n4");
        await Deno.mkdir(data, { mode: 0o700 });
        const other = "ab".repeat(32);
        const r = await runAft(["serve", "--listen", `127.0.0.1:${freePort()}`, "--node", "n4"], {
          data,
          env: { ...env, AFT_MASTER_KEY: other },
        });
        assert.notEqual(r.code, 0);
        assert.match(r.stderr, /master key is not the one the store .* was used with/);
        const list = JSON.parse(await aft(["nodes", "--json"]));
        assert.ok(!list.some((n: { id: string }) => n.id === "n4"));
      });

      for (const n of [n1, n3]) await stopClean(n.svc);
      const left = JSON.parse(await aft(["nodes", "--json"]));
      assert.deepEqual(left.map((n: { id: string }) => n.id), ["n2"], "stopped nodes leave");
    } finally {
      for (const n of nodes) {
        await n.svc.stop("SIGKILL").catch(() => {});
        n.client.close();
      }
      await pg.stop();
      await Deno.remove(dir, { recursive: true });
    }
  });
}
