/**
 * Names are canonical in Unicode NFC by every way in: "café" written with U+00E9 and as
 * e + U+0301 is one name for the CLI, for a script's `GetSecret` and `VirtualFSByName`, and for
 * the REST API's path parameters and job bodies (curl, HTTP/2); a second spelling is refused.
 */

import assert from "node:assert/strict";
import { join } from "node:path";
import { runAft, tempDataDir } from "./_cli.ts";
import { startService, stopClean } from "./_service.ts";

const NFC = "caf\u00e9";
const NFD = "cafe\u0301";

/** `curl -sk` (HTTP/2 over TLS); returns the status, the HTTP version and the JSON body. */
async function curl(args: string[]) {
  const out = await new Deno.Command("curl", {
    args: ["-sk", "-w", "\n%{http_code} %{http_version}", ...args],
  }).output();
  const text = new TextDecoder().decode(out.stdout);
  const i = text.lastIndexOf("\n");
  const [code, version] = text.slice(i + 1).split(" ");
  const body = text.slice(0, i);
  return { code: Number(code), version, json: body ? JSON.parse(body) : undefined };
}

Deno.test("a name in NFC and in NFD is one name for the CLI, a script's GetSecret and VirtualFSByName, and the REST API (curl)", async () => {
  const data = await tempDataDir();
  const dir = await Deno.makeTempDir({ prefix: "aft-nfc-" });
  try {
    const ok = async (args: string[]) => {
      const r = await runAft(args, { data });
      assert.equal(r.code, 0, `aft ${args.join(" ")}: ${r.stderr}`);
      return r.stdout.trim();
    };
    await ok(["settings", "set", "allowCliRun", "true"]);
    await ok(["secret", "set", `${NFC}-pw`, "s3cret-value"]);
    await ok(["vfs", "add", `${NFD}-box`, "--type", "disk", "--target", dir]);
    const vfs = JSON.parse(await ok(["vfs", "list", "--json"]));
    assert.deepEqual(vfs.map((v: { name: string }) => v.name), [`${NFC}-box`]);
    const f = join(dir, "nfc.syncjs");
    await Deno.writeTextFile(
      f,
      `Log.Info("secret length " + GetSecret("${NFD}-pw").length);
var v = VirtualFSByName("${NFC}-BOX");
Log.Info("vfs " + v.Stat("/").Info().IsDir);`,
    );
    const run = await runAft(["run", "-f", f], { data });
    assert.equal(run.code, 0, run.stdout + run.stderr);
    assert.match(run.stdout, /secret length 12/);
    assert.match(run.stdout, /vfs true/);

    // A stored script: added in NFD, stored in NFC, a second spelling refused.
    const id = await ok(["script", "add", NFD, "-f", f]);
    const twin = await runAft(["script", "add", NFC, "-f", f], { data });
    assert.notEqual(twin.code, 0);
    assert.match(twin.stderr, /A script named "café" already exists: use --replace/);
    const list = JSON.parse(await ok(["script", "list", "--json"]));
    assert.deepEqual(list.map((s: { id: string; name: string }) => [s.id, s.name]), [[id, NFC]]);
    await ok(["script", "show", NFD]);

    const key = await ok(["apikey", "create", "curl", "--scope", "admin", "--scope", "jobs:start"]);
    const svc = await startService(data);
    try {
      const base = `https://${svc.host}`;
      const h = ["-H", `X-API-Key: ${key}`, "-H", "Content-Type: application/json"];
      for (const spelling of [NFC, NFD]) {
        const got = await curl([...h, `${base}/v1/adm/scripts/${encodeURIComponent(spelling)}`]);
        assert.equal(got.code, 200, JSON.stringify(got.json));
        assert.equal(got.version, "2");
        assert.equal(got.json.id, id);
        const job = await curl([
          ...h,
          "--data-binary",
          JSON.stringify({ scriptName: spelling.toUpperCase() }),
          `${base}/v1/jobs`,
        ]);
        assert.equal(job.code, 201, JSON.stringify(job.json));
        assert.equal(job.json.scriptName, NFC);
      }
      const dup = await curl([
        ...h,
        "--data-binary",
        JSON.stringify({ name: NFD, source: "Exit(0);" }),
        `${base}/v1/adm/scripts`,
      ]);
      assert.equal(dup.code, 409, JSON.stringify(dup.json));
      assert.equal(dup.json.error.code, "ALREADY_EXISTS");
      const secret = await curl([...h, `${base}/v1/adm/secrets`]);
      assert.deepEqual(secret.json.map((s: { name: string }) => s.name), [`${NFC}-pw`]);
      const rm = await curl([
        ...h,
        "-X",
        "DELETE",
        `${base}/v1/adm/vfs/${encodeURIComponent(`${NFD}-box`)}`,
      ]);
      assert.equal(rm.code, 204, JSON.stringify(rm.json));
    } finally {
      await stopClean(svc);
    }
    assert.deepEqual(JSON.parse(await ok(["vfs", "list", "--json"])), []);
  } finally {
    await Deno.remove(data, { recursive: true });
    await Deno.remove(dir, { recursive: true });
  }
});
