/**
 * The seed 002 script ("claim, transfer, report"), copied verbatim from the published article,
 * run with `aft run` against a real HTTP server on 127.0.0.1 playing the workflow API and two
 * Disk VFS entries.
 */

import assert from "node:assert/strict";
import { join } from "node:path";
import { runAft, tempDataDir } from "./_cli.ts";

const SEED = new URL("../../examples/claim-transfer-report.syncjs", import.meta.url).pathname;
const TOKEN = "tok-3c1f9e2a7b";

interface Report {
  jobId: string;
  status: string;
  agent: string;
}

interface Fixture {
  data: string;
  srcDir: string;
  dstDir: string;
  claims: string[];
  reports: { body: Report; contentType: string | null; auth: string | null }[];
}

async function withWorkflowApi(sourcePath: string, fn: (f: Fixture) => Promise<void>) {
  const data = await tempDataDir();
  const srcDir = await Deno.makeTempDir({ prefix: "aft-src-" });
  const dstDir = await Deno.makeTempDir({ prefix: "aft-dst-" });
  const claims: string[] = [];
  const reports: Fixture["reports"] = [];
  const server = Deno.serve({ hostname: "127.0.0.1", port: 0, onListen() {} }, async (req) => {
    const url = new URL(req.url);
    if (req.headers.get("authorization") !== `Bearer ${TOKEN}`) {
      return new Response("no", { status: 401 });
    }
    const m = /^\/api\/jobs\/([^/]+)\/(claim|report)$/.exec(url.pathname);
    if (!m || req.method !== "POST") return new Response("not found", { status: 404 });
    if (m[2] === "claim") {
      claims.push(m[1]!);
      return Response.json({
        sourceVfs: "Inbox",
        destVfs: "archive",
        sourcePath,
        destDir: "/2026/batch",
      });
    }
    reports.push({
      body: JSON.parse(await req.text()),
      contentType: req.headers.get("content-type"),
      auth: req.headers.get("authorization"),
    });
    return new Response(null, { status: 204 });
  });
  try {
    const setup = [
      ["settings", "set", "allowCliRun", "true"],
      ["vfs", "add", "Inbox", "--type", "disk", "--target", srcDir],
      ["vfs", "add", "archive", "--type", "disk", "--target", dstDir],
      ["secret", "set", "orch-api-url", `http://127.0.0.1:${server.addr.port}/api`],
      ["secret", "set", "orch-api-token", TOKEN],
    ];
    for (const args of setup) {
      const r = await runAft(args, { data });
      assert.equal(r.code, 0, `${args.join(" ")}: ${r.stderr}`);
    }
    await fn({ data, srcDir, dstDir, claims, reports });
  } finally {
    await server.shutdown();
    for (const d of [data, srcDir, dstDir]) await Deno.remove(d, { recursive: true });
  }
}

Deno.test("seed 002 script claims, copies the file intact, reports completed and exits 0", async () => {
  await withWorkflowApi("/outgoing/orders 2026.csv", async (f) => {
    const content = new Uint8Array(3 * 1024 * 1024 + 17).map((_, i) => (i * 31 + 7) & 0xff);
    await Deno.mkdir(join(f.srcDir, "outgoing"));
    await Deno.writeFile(join(f.srcDir, "outgoing", "orders 2026.csv"), content);

    const r = await runAft(["run", "-f", SEED, "-p", '{"job_id":"abc-123"}'], { data: f.data });
    assert.equal(r.code, 0, r.stdout + r.stderr);
    assert.deepEqual(f.claims, ["abc-123"]);
    assert.equal(f.reports.length, 1);
    assert.deepEqual(f.reports[0]!.body, { jobId: "abc-123", status: "completed", agent: "aft" });
    assert.equal(f.reports[0]!.contentType, "application/json");
    const copied = await Deno.readFile(join(f.dstDir, "2026", "batch", "orders 2026.csv"));
    assert.deepEqual(copied, content);
    assert.match(
      r.stdout,
      /transfer complete: \/outgoing\/orders 2026\.csv -> archive\/2026\/batch/,
    );
    // The bearer token was read as a secret: it never shows in the output.
    assert.doesNotMatch(r.stdout + r.stderr, new RegExp(TOKEN));
  });
});

Deno.test("seed 002 script reports failed and exits 1 when the source is missing", async () => {
  await withWorkflowApi("/outgoing/missing.csv", async (f) => {
    const r = await runAft(["run", "-f", SEED, "-p", '[{"name":"job_id","value":"j-9"}]'], {
      data: f.data,
    });
    assert.equal(r.code, 1);
    assert.deepEqual(f.claims, ["j-9"]);
    assert.deepEqual(f.reports.map((x) => x.body), [{
      jobId: "j-9",
      status: "failed",
      agent: "aft",
    }]);
    assert.match(r.stdout, /ERROR +transfer failed: .*missing\.csv/);
    const left = [...Deno.readDirSync(f.dstDir)];
    assert.deepEqual(left.filter((e) => e.isFile), []);
  });
});

Deno.test("seed 002 script logs the error and exits 1 without job_id", async () => {
  await withWorkflowApi("/x.csv", async (f) => {
    const r = await runAft(["run", "-f", SEED], { data: f.data });
    assert.equal(r.code, 1);
    assert.match(r.stdout, /ERROR +job_id parameter is required/);
    assert.deepEqual(f.claims, []);
    assert.deepEqual(f.reports, []);
  });
});
