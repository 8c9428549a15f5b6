/**
 * The S3 backend against a real S3-compatible server on 127.0.0.1 (s3rver, see
 * tests/fixtures/s3server.ts): the whole conformance suite, the object-store base's own cases
 * (a prefix as the root among them), and clear errors for wrong credentials, a missing bucket
 * and a server that is not there.
 */

import assert from "node:assert/strict";
import { join } from "node:path";
import { CreateBucketCommand, PutObjectCommand, S3Client } from "@aws-sdk/client-s3";
import { mapS3Error, openS3, parseS3Target, S3Vfs } from "../../src/vfs/s3/s3.ts";
import { S3Store } from "../../src/vfs/s3/store.ts";
import { isVfsError, type Vfs, type VfsDefinition } from "../../src/vfs/types.ts";
import { freePort, startS3Server } from "../fixtures/s3server.ts";
import { mustRun } from "../fixtures/command.ts";
import { startProxy } from "../fixtures/proxy.ts";
import { assertReadsInParts, put, randomBytes, text } from "./_util.ts";
import { conformance } from "./conformance.ts";
import { objectStoreCases } from "./object_store_cases.ts";
import { assertSameBytes } from "../fixtures/same_bytes.ts";
import { within } from "../fixtures/within.ts";
import { startSilentServer } from "../fixtures/silent_server.ts";

// The servers are installed by .ci/run on Linux; the macOS and Windows CI jobs run the suites
// that need no server.
if (Deno.build.os !== "linux") {
  Deno.test({ name: "s3 suite (runs on Linux, against s3rver)", ignore: true, fn() {} });
} else {
  const server = await startS3Server();
  globalThis.addEventListener("unload", () => {
    server.stop();
  });
  const noSecrets = { getSecret: () => Promise.resolve(undefined), localRoots: [] };
  const admin = new S3Client({
    endpoint: server.endpoint,
    region: server.region,
    forcePathStyle: true,
    credentials: { accessKeyId: server.accessKeyId, secretAccessKey: server.secretAccessKey },
  });
  let n = 0;
  const MiB = 1024 * 1024;

  const bucket = async (): Promise<string> => {
    const name = `aft-test-${n++}`;
    await admin.send(new CreateBucketCommand({ Bucket: name }));
    return name;
  };

  const def = (target: string, options: Record<string, string> = {}): VfsDefinition => {
    return {
      name: "t",
      type: "s3",
      target,
      options: {
        accessKeyId: server.accessKeyId,
        secretAccessKey: server.secretAccessKey,
        ...options,
      },
    };
  };

  const bytes = async (vfs: Vfs, path: string) =>
    new Uint8Array(await new Response(await vfs.openRead(path)).arrayBuffer());

  const endpointQuery = `?endpoint=${encodeURIComponent(server.endpoint)}`;

  conformance("s3", async () => {
    const b = await bucket();
    const vfs = await openS3(def(`s3://${b}/${endpointQuery}`), noSecrets);
    return { vfs, cleanup: () => vfs.close() };
  });

  conformance("s3 (under a prefix)", async () => {
    const b = await bucket();
    const vfs = await openS3(def(`s3://${b}/some/prefix${endpointQuery}`), noSecrets);
    return { vfs, cleanup: () => vfs.close() };
  }, { largeMiB: 20 });

  objectStoreCases("s3", async () => {
    const b = await bucket();
    return {
      open: (prefix = "") => openS3(def(`s3://${b}/${prefix}${endpointQuery}`), noSecrets),
      store: new S3Store(admin, b),
      cleanup: () => Promise.resolve(),
    };
  });

  Deno.test("s3: target parsing", () => {
    const o = parseS3Target({
      name: "t",
      type: "s3",
      target: "s3://my-bucket/a/b/?region=eu-west-3&endpoint=http%3A%2F%2Fh%3A9000",
      options: { accessKeyId: "K", secretAccessKey: "S" },
    });
    assert.deepEqual(
      [o.bucket, o.prefix, o.region, o.endpoint, o.forcePathStyle, o.accessKeyId],
      ["my-bucket", "a/b/", "eu-west-3", "http://h:9000", true, "K"],
    );
    const aws = parseS3Target({ name: "t", type: "s3", target: "s3://b", options: {} });
    assert.deepEqual([aws.prefix, aws.region, aws.endpoint, aws.forcePathStyle], [
      "",
      "us-east-1",
      undefined,
      false,
    ]);
    assert.throws(
      () => parseS3Target({ name: "t", type: "s3", target: "http://b/x", options: {} }),
      (e) => isVfsError(e, "INVALID_PATH"),
    );
  });

  Deno.test("s3: wrong credentials give one clear AUTH_FAILED error", async () => {
    const b = await bucket();
    // s3rver checks the key id only (not v4 signatures), so a wrong secret cannot be tried here.
    await assert.rejects(
      openS3(def(`s3://${b}${endpointQuery}`, { accessKeyId: "NOBODY" }), noSecrets),
      (e) => {
        assert.ok(isVfsError(e, "AUTH_FAILED"), String(e));
        assert.match(e.message, /refused the credentials/);
        assert.equal(e.retryable, false);
        return true;
      },
    );
    // What real S3 answers to a wrong secret, and to a key without the right to the bucket.
    const meta = { $metadata: { httpStatusCode: 403 } };
    assert.equal(mapS3Error({ name: "SignatureDoesNotMatch", ...meta }).code, "AUTH_FAILED");
    assert.equal(mapS3Error({ name: "AccessDenied", ...meta }).code, "PERMISSION_DENIED");
    assert.equal(
      mapS3Error({ name: "NoSuchKey", $metadata: { httpStatusCode: 404 } }).code,
      "NOT_FOUND",
    );
    const reset = mapS3Error(Object.assign(new Error("read ECONNRESET"), { code: "ECONNRESET" }));
    assert.deepEqual([reset.code, reset.retryable], ["CONNECTION", true]);
  });

  Deno.test("s3: a missing bucket is NOT_FOUND; no server is a retryable CONNECTION", async () => {
    await assert.rejects(
      openS3(def(`s3://no-such-bucket${endpointQuery}`), noSecrets),
      (e) => isVfsError(e, "NOT_FOUND") && /no-such-bucket/.test(e.message),
    );
    const dead = `?endpoint=${encodeURIComponent(`http://127.0.0.1:${freePort()}`)}`;
    await assert.rejects(
      openS3(def(`s3://b${dead}`), noSecrets),
      (e) => isVfsError(e, "CONNECTION") && e.retryable,
    );
  });

  Deno.test("s3: a server that takes the connection and answers nothing fails after idleTimeoutSeconds (each of three tries), not never", async () => {
    // Before, the client's `requestTimeout` only logged a warning: still waiting after 200 s.
    const silent = startSilentServer();
    try {
      const target = `s3://b?endpoint=${encodeURIComponent(`http://127.0.0.1:${silent.port}`)}`;
      const started = performance.now();
      await assert.rejects(
        within(
          openS3(def(target, { idleTimeoutSeconds: "1" }), noSecrets),
          "the silent server's error",
          30_000,
        ),
        (e) => isVfsError(e, "TIMEOUT") && /after 1000 ms of inactivity/.test(e.message),
      );
      const waited = performance.now() - started;
      assert.ok(waited >= 2_500 && waited < 20_000, `failed after ${waited} ms`);
      assert.equal(silent.connections(), 3, "three tries");
    } finally {
      await silent.close();
    }
    assert.throws(
      () => parseS3Target(def("s3://b", { idleTimeoutSeconds: "1.5" })),
      { message: 'The "idleTimeoutSeconds" option must be a whole number from 1 to 86400' },
    );
  });

  Deno.test("s3 over HTTPS: caFile trusts a private CA; an untrusted or expired certificate is one clear error", async () => {
    const tmp = await Deno.makeTempDir();
    for (const tls of ["valid", "expired"] as const) {
      const s = await startS3Server({ tls });
      try {
        const caFile = join(tmp, `${tls}.pem`);
        await Deno.writeTextFile(caFile, s.certPem!);
        const target = `s3://tls-test?endpoint=${encodeURIComponent(s.endpoint)}`;
        const options = { caFile };
        if (tls === "valid") {
          const admin = new S3Client({
            endpoint: s.endpoint,
            region: s.region,
            forcePathStyle: true,
            credentials: { accessKeyId: s.accessKeyId, secretAccessKey: s.secretAccessKey },
            requestHandler: { httpsAgent: { ca: [s.certPem!] } },
          });
          await admin.send(new CreateBucketCommand({ Bucket: "tls-test" }));
          admin.destroy();
          // Bodies of 2 MiB and more, in one request and in parts, go the same trusted way.
          const files: [string, Uint8Array][] = [
            ["/hello.txt", new TextEncoder().encode("over TLS")],
            ["/one-request.bin", randomBytes(3 * MiB)],
            ["/parts.bin", randomBytes(11 * MiB + 1)],
          ];
          const vfs = await openS3(def(target, { ...options, partSizeMiB: "5" }), noSecrets);
          try {
            for (const [path, data] of files) await put(vfs, path, data);
          } finally {
            await vfs.close();
          }
          // Each read on a client of its own: s3rver over TLS (under Deno) answers no further
          // request on a connection that carried a GET (curl sees the same).
          for (const [path, data] of files) {
            const reader = await openS3(def(target, options), noSecrets);
            try {
              assertSameBytes(await bytes(reader, path), data, path);
            } finally {
              await reader.close();
            }
          }
          // The same server without caFile: its certificate is nobody's.
          await assert.rejects(openS3(def(target), noSecrets), (e) => {
            assert.ok(isVfsError(e, "CONNECTION"), String(e));
            assert.equal(e.retryable, false);
            assert.match(e.message, /^TLS failed with the S3 server: .*(trusted|self-signed)/);
            return true;
          });
        } else {
          await assert.rejects(openS3(def(target, options), noSecrets), (e) => {
            assert.ok(isVfsError(e, "CONNECTION"), String(e));
            assert.equal(e.retryable, false);
            assert.match(e.message, /certificate expired on 2020-01-02T00:00:00\.000Z/);
            return true;
          });
        }
      } finally {
        await s.stop();
      }
    }
    await Deno.remove(tmp, { recursive: true });
  });

  Deno.test("s3: a large write shows under its name only once complete; an abort leaves nothing", async () => {
    const vfs = await openS3(def(`s3://${await bucket()}${endpointQuery}`), noSecrets);
    try {
      await put(vfs, "/keep.bin", "old content");
      const chunk = new Uint8Array(MiB).fill(1);
      const before = Deno.memoryUsage().rss;
      let w = (await vfs.openWrite("/big.bin")).getWriter();
      for (let i = 0; i < 40; i++) await w.write(chunk.slice());
      await assert.rejects(vfs.stat("/big.bin"), (e) => isVfsError(e, "NOT_FOUND"));
      await w.close();
      assert.equal((await vfs.stat("/big.bin")).size, 40 * MiB);
      assert.ok(Deno.memoryUsage().rss - before < 200 * MiB, "memory stays bounded");
      // An aborted rewrite of an existing file leaves the old content; of a new one, nothing.
      for (const p of ["/keep.bin", "/new.bin"]) {
        w = (await vfs.openWrite(p)).getWriter();
        for (let i = 0; i < 20; i++) await w.write(chunk.slice());
        await w.abort(new Error("stop"));
      }
      assert.equal(await text(vfs, "/keep.bin"), "old content");
      await assert.rejects(vfs.stat("/new.bin"), (e) => isVfsError(e, "NOT_FOUND"));
    } finally {
      await vfs.close();
    }
  });

  Deno.test("s3: a copy killed (SIGKILL) mid-upload leaves no object, under its name or any other", async () => {
    const b = await bucket();
    const dir = await Deno.makeTempDir({ prefix: "aft-s3-kill-" });
    const vfs = await openS3(def(`s3://${b}${endpointQuery}`), noSecrets);
    try {
      await Deno.writeFile(join(dir, "big.bin"), randomBytes(64 * MiB));
      const child = new Deno.Command(Deno.execPath(), {
        args: [
          "run",
          "--allow-all",
          "--config",
          new URL("../../deno.json", import.meta.url).pathname,
          new URL("./_s3_upload_child.ts", import.meta.url).pathname,
          server.endpoint,
          b,
          dir,
        ],
        stdout: "piped",
        stderr: "inherit",
      }).spawn();
      const lines = child.stdout.pipeThrough(new TextDecoderStream()).getReader();
      let out = "";
      while (!out.includes("underway")) {
        const { done, value } = await lines.read();
        if (done) break;
        out += value;
      }
      child.kill("SIGKILL");
      await lines.cancel();
      assert.equal((await child.status).signal, "SIGKILL", `killed while underway: ${out}`);
      assert.ok(out.includes("underway") && !out.includes("done"), out);
      await assert.rejects(vfs.stat("/big.bin"), (e) => isVfsError(e, "NOT_FOUND"));
      assert.deepEqual(await vfs.list("/"), []);
    } finally {
      await vfs.close();
      await Deno.remove(dir, { recursive: true });
    }
  });

  Deno.test("s3: objects aft writes read back identical through rclone, and back", async () => {
    const b = await bucket();
    const vfs = await openS3(def(`s3://${b}/${endpointQuery}`), noSecrets);
    const env = {
      ...Deno.env.toObject(),
      RCLONE_CONFIG_T_TYPE: "s3",
      RCLONE_CONFIG_T_PROVIDER: "Other",
      RCLONE_CONFIG_T_ENDPOINT: server.endpoint,
      RCLONE_CONFIG_T_ACCESS_KEY_ID: server.accessKeyId,
      RCLONE_CONFIG_T_SECRET_ACCESS_KEY: server.secretAccessKey,
      RCLONE_CONFIG_T_FORCE_PATH_STYLE: "true",
      RCLONE_CONFIG_T_REGION: server.region,
      AWS_CA_BUNDLE: "", // a proxy CA bundle in the environment breaks rclone on plain HTTP
    };
    const rclone = (args: string[], stdin?: Uint8Array) =>
      mustRun("rclone", args, { env, clearEnv: true, stdin });
    try {
      // Over the multipart threshold, so aft's multipart upload is what rclone reads.
      const data = new Uint8Array(12 * MiB + 5);
      for (let i = 0; i < data.length; i += 4096) data[i] = (i >> 12) & 0xff;
      await vfs.mkdir("/dir");
      const w = (await vfs.openWrite("/dir/from aft.bin")).getWriter();
      await w.write(data);
      await w.close();
      assertSameBytes(new Uint8Array(await rclone(["cat", `t:${b}/dir/from aft.bin`])), data);
      const back = data.slice().reverse();
      await rclone(["rcat", `t:${b}/dir/from rclone.bin`], back);
      const got = new Uint8Array(
        await new Response(await vfs.openRead("/dir/from rclone.bin")).arrayBuffer(),
      );
      assertSameBytes(got, back);
      assert.deepEqual(
        (await vfs.list("/dir")).map((i) => i.name).sort(),
        ["from aft.bin", "from rclone.bin"],
      );
    } finally {
      await vfs.close();
    }
  });

  Deno.test("s3: the parts of an upload go over the client's kept-alive connections", async () => {
    const b = await bucket();
    const proxy = startProxy(
      { hostname: "127.0.0.1", port: Number(new URL(server.endpoint).port) },
      { dropAfterBytes: Infinity, dropConnections: () => false },
    );
    const endpoint = `?endpoint=${encodeURIComponent(`http://127.0.0.1:${proxy.port}`)}`;
    const vfs = await openS3(
      def(`s3://${b}${endpoint}`, { partSizeMiB: "5", concurrency: "2" }),
      noSecrets,
    );
    try {
      const data = randomBytes(6 * 5 * MiB);
      await put(vfs, "/six-parts.bin", data);
      assertSameBytes(await bytes(vfs, "/six-parts.bin"), data);
      // Two parts in flight at a time: two connections carry the six parts (a connection per
      // part is what the SDK does for requests that expect "100 Continue").
      assert.ok(proxy.connections() <= 3, `${proxy.connections()} connections for 6 parts`);
    } finally {
      await vfs.close();
      proxy.close();
    }
  });

  Deno.test("s3: large reads come in parallel ranged parts, byte for byte at any offset and length", async () => {
    const b = await bucket();
    const part = 64 * 1024;
    const vfs = new S3Vfs(admin, b, "", { partSize: part, concurrency: 3 });
    const data = randomBytes(10 * part + 7);
    const exact = data.subarray(0, 4 * part);
    // Stored in one request each (an upload's parts are 5 MiB at least).
    await admin.send(new PutObjectCommand({ Bucket: b, Key: "big.bin", Body: data }));
    await admin.send(new PutObjectCommand({ Bucket: b, Key: "exact.bin", Body: exact }));
    await assertReadsInParts(vfs, "/big.bin", data, part);
    assertSameBytes(await bytes(vfs, "/exact.bin"), exact);
    await vfs.close();
  });

  Deno.test("s3: partSizeMiB and concurrency options are checked", () => {
    const o = parseS3Target(def("s3://b", { partSizeMiB: "16", concurrency: "2" }));
    assert.deepEqual(o.transfer, { partSize: 16 * MiB, concurrency: 2 });
    assert.deepEqual(parseS3Target(def("s3://b")).transfer, { partSize: 8 * MiB, concurrency: 4 });
    assert.throws(() => parseS3Target(def("s3://b", { partSizeMiB: "1" })), /"partSizeMiB" option/);
    assert.throws(() => parseS3Target(def("s3://b", { concurrency: "x" })), /"concurrency" option/);
  });

  Deno.test("s3: stop the server", async () => {
    admin.destroy();
    await server.stop();
  });
}
