/**
 * The GCS backend, tested as far as it can be honestly without a GCS server: no emulator runs
 * on this machine (fake-gcs-server is a Go binary from GitHub, and firebase-tools' Storage
 * emulator refuses to start without Java 21), so the conformance suite does not run against
 * GCS. What is tested: target parsing, credentials errors, the error mapping of the client's
 * errors, and a refused connection on loopback through the whole open path, the CLI and a
 * script's GCSClient.
 */

import assert from "node:assert/strict";
import { join } from "node:path";
import { mapGcsError, openGcs, parseGcsTarget } from "../../src/vfs/gcs/gcs.ts";
import { isVfsError, type VfsDefinition } from "../../src/vfs/types.ts";
import { runAft, tempDataDir } from "../e2e/_cli.ts";
import { freePort } from "../fixtures/s3server.ts";

const def = (target: string, options: Record<string, string> = {}): VfsDefinition => ({
  name: "g",
  type: "gcs",
  target,
  options,
});
const noSecrets = { getSecret: () => Promise.resolve(undefined), localRoots: [] };

Deno.test("gcs: targets parse into bucket, prefix, endpoint and project", () => {
  assert.deepEqual(parseGcsTarget(def("gcs://my-bucket")), {
    bucket: "my-bucket",
    prefix: "",
    projectId: undefined,
    credentialsFile: undefined,
    credentials: undefined,
    endpoint: undefined,
  });
  const o = parseGcsTarget(
    def("gcs://b/in/2026%20Q4/?endpoint=http://127.0.0.1:4443", { projectId: "p1" }),
  );
  assert.equal(o.prefix, "in/2026 Q4/");
  assert.equal(o.endpoint, "http://127.0.0.1:4443");
  assert.equal(o.projectId, "p1");
  const key = { client_email: "a@p2.iam.gserviceaccount.com", private_key: "k", project_id: "p2" };
  assert.equal(
    parseGcsTarget(def("gcs://b", { credentials: JSON.stringify(key) })).projectId,
    "p2",
  );
  for (const bad of ["s3://b/x", "gcs:///x", "not a url"]) {
    assert.throws(() => parseGcsTarget(def(bad)), (e) => isVfsError(e, "INVALID_PATH"));
  }
  assert.throws(
    () => parseGcsTarget(def("gcs://b?endpoint=nope")),
    (e) => isVfsError(e, "INVALID_PATH") && /Bad endpoint URL/.test(e.message),
  );
});

Deno.test("gcs: bad credentials give one clear AUTH_FAILED error before any request", async () => {
  const cases: [Record<string, string>, RegExp][] = [
    [{ credentials: "{nope" }, /not a service-account key \(not JSON\)/],
    [{ credentials: '{"type":"service_account"}' }, /lack client_email or private_key/],
    [
      { credentialsFile: "/no/such/key.json" },
      /Cannot read the GCS key file "\/no\/such\/key\.json"/,
    ],
  ];
  for (const [options, re] of cases) {
    await assert.rejects(
      openGcs(def("gcs://b", options), noSecrets),
      (e) => isVfsError(e, "AUTH_FAILED") && re.test(e.message),
    );
  }
  // A key whose private key is not a PEM key fails when the client tries to sign with it.
  const key = {
    client_email: "a@p.iam.gserviceaccount.com",
    private_key: "-----BEGIN PRIVATE KEY-----\nAAAA\n-----END PRIVATE KEY-----\n",
  };
  await assert.rejects(
    openGcs(def("gcs://b", { credentials: JSON.stringify(key) }), noSecrets),
    (e) => isVfsError(e, "AUTH_FAILED"),
  );
});

Deno.test("gcs: the client's errors map to stable codes, transient ones retryable", () => {
  const api = (code: number | string, message = "x") => Object.assign(new Error(message), { code });
  const cases: [unknown, string, boolean][] = [
    [api(404, "No such object: b/k"), "NOT_FOUND", false],
    [api(401, "Invalid Credentials"), "AUTH_FAILED", false],
    [api(403, "does not have storage.objects.get access"), "PERMISSION_DENIED", false],
    [api(429, "rate"), "IO", true],
    [api(503, "backend"), "IO", true],
    [api("ENOTFOUND", "getaddrinfo ENOTFOUND storage.googleapis.com"), "CONNECTION", true],
    [new Error("request failed, reason: connect ECONNREFUSED 127.0.0.1:1"), "CONNECTION", true],
    [new Error("Could not load the default credentials."), "AUTH_FAILED", false],
    [new Error("something else"), "IO", false],
  ];
  for (const [err, code, retryable] of cases) {
    const e = mapGcsError(err, "/k");
    assert.equal(e.code, code, String(err));
    assert.equal(e.retryable, retryable, String(err));
  }
});

Deno.test("gcs: nothing listening at the endpoint is one CONNECTION error, in the CLI and in a script", async () => {
  const endpoint = `http://127.0.0.1:${freePort()}`;
  await assert.rejects(
    openGcs(def(`gcs://b/p?endpoint=${endpoint}`), noSecrets),
    (e) => isVfsError(e, "CONNECTION") && /Cannot reach GCS: .*ECONNREFUSED/.test(e.message),
  );

  const data = await tempDataDir();
  try {
    const ok = async (args: string[]) => {
      const r = await runAft(args, { data });
      assert.equal(r.code, 0, r.stderr);
      return r;
    };
    await ok(["vfs", "add", "g", "--type", "gcs", "--target", `gcs://b/p?endpoint=${endpoint}`]);
    const t = await runAft(["vfs", "test", "g"], { data });
    assert.notEqual(t.code, 0);
    assert.match(t.stderr, /VFS "g" failed: connection: Cannot reach GCS/);
    await ok(["settings", "set", "allowCliRun", "true"]);
    const script = join(data, "gcs.syncjs");
    await Deno.writeTextFile(
      script,
      `var c = new GCSClient(); c.Bucket = "b"; c.CredentialsFile = "/no/key.json";
Log.Info("connect " + c.Connect() + ": " + c.LastError);`,
    );
    const r = await ok(["run", "-f", script]);
    assert.match(r.stdout, /connect false: .*Cannot read the GCS key file/);
  } finally {
    await Deno.remove(data, { recursive: true });
  }
});
