/**
 * The GCS backend against a GCS server on 127.0.0.1: the Cloud Storage emulator of
 * firebase-tools (tests/fixtures/gcs.ts), running the whole conformance suite, at the bucket's
 * root and under a prefix, the object-store base's own cases, and an object written by aft read
 * back through the plain JSON API (and the reverse), and large reads in parallel parts held to
 * the object's CRC32C. Also, without a server: target parsing, credentials errors, the mapping of
 * the client's errors, and a refused connection through the open path, the CLI and a script's
 * GCSClient.
 *
 * The emulator takes requests without credentials, so what a real GCS says to a bad service
 * account is tested only as far as the client library's own errors (AUTH_FAILED before any
 * request, and the error mapping).
 */

import assert from "node:assert/strict";
import { join } from "node:path";
import { Storage } from "@google-cloud/storage";
import { GcsVfs, mapGcsError, openGcs, parseGcsTarget } from "../../src/vfs/gcs/gcs.ts";
import { GcsStore } from "../../src/vfs/gcs/store.ts";
import { isVfsError, type VfsDefinition } from "../../src/vfs/types.ts";
import { runAft, tempDataDir } from "../e2e/_cli.ts";
import { freePort } from "../fixtures/s3server.ts";
import { startGcsEmulator } from "../fixtures/gcs.ts";
import { assertReadsInParts, put, randomBytes } from "./_util.ts";
import { startProxy } from "../fixtures/proxy.ts";
import { startSilentServer } from "../fixtures/silent_server.ts";
import { within } from "../fixtures/within.ts";
import { assertHangFails } from "./hanging_server.ts";
import { conformance } from "./conformance.ts";
import { objectStoreCases } from "./object_store_cases.ts";
import { assertSameBytes } from "../fixtures/same_bytes.ts";

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
    transfer: { partSize: 8 * 1024 * 1024, concurrency: 1 },
    idleTimeoutMs: 300_000,
  });
  assert.deepEqual(
    parseGcsTarget(def("gcs://b", { partSizeMiB: "16", concurrency: "2" })).transfer,
    { partSize: 16 * 1024 * 1024, concurrency: 2 },
  );
  assert.throws(() => parseGcsTarget(def("gcs://b", { concurrency: "65" })), /"concurrency"/);
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
  // A file that is not JSON is said to be so; its text is not quoted.
  const notKey = await Deno.makeTempFile({ prefix: "aft-gcs-", suffix: ".txt" });
  try {
    await Deno.writeTextFile(notKey, "root:x:0:0:secret-text\n");
    await assert.rejects(
      openGcs(def("gcs://b", { credentialsFile: notKey }), noSecrets),
      (e) =>
        isVfsError(e, "AUTH_FAILED") &&
        e.message === `The GCS key file "${notKey}" is not a JSON service-account key file`,
    );
  } finally {
    await Deno.remove(notKey);
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

Deno.test("gcs: a server that takes the connection and answers nothing fails after idleTimeoutSeconds, not never", async () => {
  // Before, the client's request layer (node-fetch 3 on Deno) ignored the library's timeout: a
  // stat still waited after 150 s.
  const silent = startSilentServer();
  try {
    const endpoint = encodeURIComponent(`http://127.0.0.1:${silent.port}`);
    const started = performance.now();
    await assert.rejects(
      within(
        openGcs(def(`gcs://b/p?endpoint=${endpoint}`, { idleTimeoutSeconds: "1" }), noSecrets),
        "the silent server's error",
        30_000,
      ),
      (e) =>
        isVfsError(e, "TIMEOUT") && e.retryable &&
        e.message ===
          'GCS made no progress for 1 s while listing "p/" (the idleTimeoutSeconds option)',
    );
    const waited = performance.now() - started;
    assert.ok(waited >= 900, `failed after ${waited} ms`);
    assert.ok(silent.connections() >= 1);
  } finally {
    await silent.close();
  }
  assert.equal(parseGcsTarget(def("gcs://b")).idleTimeoutMs, 300_000);
  assert.throws(
    () => parseGcsTarget(def("gcs://b", { idleTimeoutSeconds: "x" })),
    /"idleTimeoutSeconds" option/,
  );
});

// The emulator is installed by .ci/run on Linux; the macOS and Windows CI jobs run the tests
// above.
if (Deno.build.os !== "linux") {
  Deno.test({ name: "gcs suite (runs on Linux, against the emulator)", ignore: true, fn() {} });
} else {
  const server = await startGcsEmulator();
  globalThis.addEventListener("unload", () => {
    server.stop();
  });
  let n = 0;
  const at = (bucket: string, prefix = "") =>
    def(`gcs://${bucket}/${prefix}?endpoint=${encodeURIComponent(server.endpoint)}`);

  // The emulator makes a bucket when it is first named, so each subject gets a new one.
  conformance("gcs", async () => {
    const vfs = await openGcs(at(`aft-test-${n++}`), noSecrets);
    return { vfs, cleanup: () => vfs.close() };
  });

  conformance("gcs (under a prefix)", async () => {
    const vfs = await openGcs(at(`aft-test-${n++}`, "some/prefix"), noSecrets);
    return { vfs, cleanup: () => vfs.close() };
  }, { largeMiB: 20 });

  objectStoreCases("gcs", () => {
    const bucket = `aft-test-${n++}`;
    const storage = new Storage({ apiEndpoint: server.endpoint, token: "anonymous" });
    return Promise.resolve({
      open: (prefix = "") => openGcs(at(bucket, prefix), noSecrets),
      store: new GcsStore(storage.bucket(bucket)),
      cleanup: () => Promise.resolve(),
    });
  });

  Deno.test("gcs: objects aft writes read back through the JSON API byte for byte, and back", async () => {
    const bucket = `aft-interop-${n++}`;
    const vfs = await openGcs(at(bucket, "in"), noSecrets);
    try {
      const data = randomBytes(3 * 1024 * 1024 + 17);
      const w = (await vfs.openWrite("/from-aft.bin")).getWriter();
      await w.write(data);
      await w.close();
      const media = (key: string) =>
        `${server.endpoint}/download/storage/v1/b/${bucket}/o/${encodeURIComponent(key)}?alt=media`;
      const got = await fetch(media("in/from-aft.bin"));
      assert.equal(got.status, 200);
      assertSameBytes(new Uint8Array(await got.arrayBuffer()), data);

      // Written by a plain HTTP client (a media upload), read by aft.
      const theirs = data.slice().reverse();
      const put = await fetch(
        `${server.endpoint}/upload/storage/v1/b/${bucket}/o?uploadType=media&name=${
          encodeURIComponent("in/from-http.bin")
        }`,
        { method: "POST", body: theirs },
      );
      assert.equal(put.status, 200, await put.text());
      const st = await vfs.stat("/from-http.bin");
      assert.equal(st.size, theirs.length);
      const back = await new Response(await vfs.openRead("/from-http.bin")).arrayBuffer();
      assertSameBytes(new Uint8Array(back), theirs);
    } finally {
      await vfs.close();
    }
  });

  Deno.test("gcs: a request whose connection the server drops four times before answering succeeds on a retry", async () => {
    const bucket = `aft-drops-${n++}`;
    const vfs = await openGcs(at(bucket), noSecrets);
    await put(vfs, "/kept.txt", "kept");
    await vfs.close();
    // Connections 1 to 4 through the proxy are cut as the request arrives, as a server that
    // closes a connection without answering does; the fifth is forwarded. (With one retry the
    // library made four attempts: its request layer and its retry layer each try twice.)
    const { hostname, port } = new URL(server.endpoint);
    const proxy = startProxy({ hostname, port: Number(port) }, {
      dropAfterBytes: 0,
      dropConnections: (c) => c <= 4,
    });
    try {
      const dropping = GcsVfs.create({
        ...parseGcsTarget(at(bucket)),
        endpoint: `http://127.0.0.1:${proxy.port}`,
      });
      assert.equal((await dropping.stat("/kept.txt")).size, 4);
      assert.ok(proxy.connections() >= 5, `${proxy.connections()} connections`);
      await dropping.close();
    } finally {
      proxy.close();
    }
  });

  Deno.test("gcs: a server that hangs mid-transfer fails the read, the write and a stat after idleTimeoutSeconds", async () => {
    const { hostname, port } = new URL(server.endpoint);
    const proxy = startProxy({ hostname, port: Number(port) }, {
      dropAfterBytes: Infinity,
      dropConnections: () => false,
    });
    const vfs = GcsVfs.create({
      ...parseGcsTarget(at(`aft-hang-${n++}`)),
      endpoint: `http://127.0.0.1:${proxy.port}`,
      // 3 s, not 1: on a loaded machine (.ci/run beside a browser) the first 1 MiB write, made
      // before the server hangs, once took longer than 1 s and failed the test early.
      idleTimeoutMs: 3000,
    });
    try {
      await assertHangFails(vfs, proxy, /^GCS made no progress for 3 s while (reading|writing)/);
    } finally {
      proxy.close();
      await vfs.close();
    }
  });

  Deno.test("gcs: aft run downloads without the client's false leak warnings on standard error", async () => {
    // Two "MaxListenersExceededWarning" lines per file before (see download_warning.ts).
    const bucket = `aft-quiet-${n++}`;
    const vfs = await openGcs(at(bucket), noSecrets);
    await vfs.mkdir("/in");
    for (const name of ["a", "b", "c"]) await put(vfs, `/in/${name}.txt`, `file ${name}`);
    await vfs.close();
    const data = await tempDataDir();
    const local = await Deno.makeTempDir();
    try {
      const ok = async (args: string[]) => {
        const r = await runAft(args, { data });
        assert.equal(r.code, 0, r.stderr);
        return r;
      };
      await ok(["settings", "set", "allowCliRun", "true"]);
      await ok(["vfs", "add", "G", "--type", "gcs", "--target", at(bucket).target]);
      await ok(["vfs", "add", "L", "--type", "disk", "--target", local]);
      const script = join(data, "down.syncjs");
      await Deno.writeTextFile(
        script,
        `var r = VirtualFSByName("G").CopyToVFS("/in/*", VirtualFSByName("L"), "/");
if (!r.Ok()) throw new Error(r.ErrorMsg());
Log.Info("copied " + r.Files());`,
      );
      const r = await ok(["run", "-f", script]);
      assert.match(r.stdout, /copied 3/);
      assert.doesNotMatch(r.stderr, /MaxListenersExceededWarning|memory leak/);
      assert.equal(await Deno.readTextFile(join(local, "b.txt")), "file b");
    } finally {
      await Deno.remove(data, { recursive: true });
      await Deno.remove(local, { recursive: true });
    }
  });

  Deno.test("gcs: requests are still retried after deletes ran in parallel", async () => {
    // The library's default strategy switched retries off for the whole connection once two
    // deletes overlapped (see GcsVfs.create); a stat then failed on its first dropped
    // connection.
    const { hostname, port } = new URL(server.endpoint);
    let drop = 0;
    const proxy = startProxy({ hostname, port: Number(port) }, {
      dropAfterBytes: 0,
      dropConnections: () => {
        if (drop === 0) return false;
        drop--;
        return true;
      },
    });
    try {
      const through = encodeURIComponent(`http://127.0.0.1:${proxy.port}`);
      const vfs = await openGcs(def(`gcs://aft-overlap-${n++}/?endpoint=${through}`), noSecrets);
      const names = ["a", "b", "c", "d"];
      await Promise.all(names.map((x) => put(vfs, `/${x}.txt`, x)));
      await Promise.all(names.map((x) => vfs.remove(`/${x}.txt`)));
      await put(vfs, "/kept.txt", "kept");
      proxy.cutOpen(); // the kept-alive connections end, as a server's idle timeout ends them
      drop = 1; // and the next new one is cut as its request arrives
      assert.equal((await vfs.stat("/kept.txt")).size, 4);
      await vfs.close();
    } finally {
      proxy.close();
    }
  });

  Deno.test("gcs: large reads come in parallel ranged parts, byte for byte; a whole object read in parts is held to its CRC32C", async () => {
    const bucket = `aft-parts-${n++}`;
    const part = 64 * 1024;
    const data = randomBytes(10 * part + 7);
    const writer = await openGcs(at(bucket), noSecrets);
    await put(writer, "/big.bin", data);
    await writer.close();
    const { hostname, port } = new URL(server.endpoint);
    const through = (proxy: { port: number }) =>
      GcsVfs.create({
        ...parseGcsTarget(at(bucket)),
        endpoint: `http://127.0.0.1:${proxy.port}`,
        transfer: { partSize: part, concurrency: 3 },
      });
    const clean = startProxy({ hostname, port: Number(port) }, {
      dropAfterBytes: Infinity,
      dropConnections: () => false,
    });
    try {
      const vfs = through(clean);
      await assertReadsInParts(vfs, "/big.bin", data, part);
      // One read in one request would have used one connection throughout.
      assert.ok(clean.connections() >= 2, `${clean.connections()} connections`);
      await vfs.close();
    } finally {
      clean.close();
    }
    // One bit of every connection's answers flipped 40,000 bytes in: inside the first body each
    // connection carries (the metadata answers before it are about 1 KB each). The ranged parts
    // are not checked by the client; the whole object's CRC32C catches it.
    const flipping = startProxy({ hostname, port: Number(port) }, {
      dropAfterBytes: Infinity,
      dropConnections: () => true,
      flipAfterBytes: 40_000,
    });
    try {
      const vfs = through(flipping);
      await assert.rejects(
        new Response(await vfs.openRead("/big.bin")).arrayBuffer(),
        (e) => isVfsError(e, "VERIFY_FAILED") && /CRC32C/.test(e.message),
      );
      await vfs.close();
    } finally {
      flipping.close();
    }
  });

  Deno.test("gcs: stop the emulator", async () => {
    await server.stop();
  });
}
