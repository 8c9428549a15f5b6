/**
 * `aft tls trust` makes seed 002's curl line (no `-k`) work as written against a running
 * `aft serve`; `aft tls untrust` puts the system trust store back as it was. Changes the real
 * trust store, so it runs only as root on a Debian-layout Linux (as .ci/run does); macOS and
 * Windows are exercised in .github/workflows/ci.yml.
 */

import assert from "node:assert/strict";
import { join } from "node:path";
import { runAft, tempDataDir } from "./_cli.ts";
import { type RunningService, startService, stopClean } from "./_service.ts";

const ANCHORS = "/usr/local/share/ca-certificates";
const BUNDLE_DIR = "/etc/ssl/certs";

const debianRoot = Deno.build.os === "linux" && Deno.uid() === 0 &&
  (await Deno.stat("/usr/sbin/update-ca-certificates").then(() => true, () => false));

/** Seed 002's line, with only the port, the key and the script ID filled in. */
function seedLine(port: number, key: string, scriptId: string): string {
  return `curl -s -X POST https://127.0.0.1:${port}/v1/jobs \\
  -H "X-API-Key: ${key}" \\
  -H "Content-Type: application/json" \\
  -d '{"scriptId":"${scriptId}","params":[{"name":"job_id","value":"abc-123"}]}'`;
}

async function sh(line: string): Promise<{ code: number; out: string }> {
  const o = await new Deno.Command("bash", { args: ["-c", line], stdout: "piped" }).output();
  return { code: o.code, out: new TextDecoder().decode(o.stdout) };
}

/** What `untrust` must restore: the added roots, the bundle's links and the bundle itself. */
async function snapshot(): Promise<string> {
  const names = async (dir: string) => {
    const out: string[] = [];
    for await (const e of Deno.readDir(dir)) out.push(e.name);
    return out.sort().join(",");
  };
  return [
    await names(ANCHORS),
    await names(BUNDLE_DIR),
    await Deno.readTextFile(join(BUNDLE_DIR, "ca-certificates.crt")),
  ].join("\n");
}

Deno.test({
  name: "aft tls trust: seed 002's curl line without -k gets its 201; untrust restores the store",
  ignore: !debianRoot,
  fn: async () => {
    const data = await tempDataDir();
    const dir = await Deno.makeTempDir({ prefix: "aft-trust-" });
    let svc: RunningService | undefined;
    const before = await snapshot();
    let trusted = false;
    try {
      const script = join(dir, "claim.syncjs");
      await Deno.writeTextFile(script, 'Log.Info("job_id=" + Params("job_id"));');
      const id = (await runAft(["script", "add", "Claim", "-f", script], { data })).stdout.trim();
      const key = (await runAft(["apikey", "create", "ci"], { data })).stdout.trim();
      assert.ok(id && key);
      svc = await startService(data);
      const line = seedLine(svc.port, key, id);

      // The service's own CA is not trusted yet: curl refuses the certificate (exit 60).
      assert.equal((await sh(line)).code, 60);

      const t = await runAft(["tls", "trust"], { data });
      trusted = t.code === 0;
      assert.equal(t.code, 0, t.stderr);
      assert.match(t.stderr, /added the local CA of .* to the system trust store as \/usr\/local/);
      const r = await sh(line);
      assert.equal(r.code, 0);
      const job = JSON.parse(r.out);
      assert.equal(job.status, "queued");
      assert.deepEqual(job.params, { job_id: "abc-123" });
    } finally {
      if (svc) await stopClean(svc);
      const u = await runAft(["tls", "untrust"], { data });
      await Deno.remove(data, { recursive: true });
      await Deno.remove(dir, { recursive: true });
      assert.equal(u.code, 0, u.stderr);
      if (trusted) assert.match(u.stderr, /removed the local CA/);
    }
    assert.equal(await snapshot(), before);
  },
});
