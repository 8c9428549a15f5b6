/**
 * The Azure Blob backend against Azurite on 127.0.0.1 (tests/fixtures/azurite.ts): the whole
 * conformance suite, the object-store base's own cases (a prefix as the root among them), clear
 * errors for a wrong key, a missing container and a server that is not there, and large
 * transfers in parts (parallel ranged reads; uploads in blocks of the part size).
 */

import assert from "node:assert/strict";
import { BlobServiceClient, StorageSharedKeyCredential } from "@azure/storage-blob";
import { AzureVfs, mapAzureError, openAzure, parseAzureTarget } from "../../src/vfs/azure/azure.ts";
import { AzureStore, blobSize } from "../../src/vfs/azure/store.ts";
import { isVfsError, type VfsDefinition } from "../../src/vfs/types.ts";
import { startAzurite } from "../fixtures/azurite.ts";
import { freePort } from "../fixtures/s3server.ts";
import { assertReadsInParts, put, randomBytes, text } from "./_util.ts";
import { startProxy } from "../fixtures/proxy.ts";
import { startSilentServer } from "../fixtures/silent_server.ts";
import { within } from "../fixtures/within.ts";
import { assertHangFails } from "./hanging_server.ts";
import { assertSameBytes } from "../fixtures/same_bytes.ts";
import { conformance } from "./conformance.ts";
import { objectStoreCases } from "./object_store_cases.ts";

// The servers are installed by .ci/run on Linux; the macOS and Windows CI jobs run the suites
// that need no server.
if (Deno.build.os !== "linux") {
  Deno.test({ name: "azure suite (runs on Linux, against Azurite)", ignore: true, fn() {} });
} else {
  const server = await startAzurite();
  globalThis.addEventListener("unload", () => {
    server.stop();
  });
  const noSecrets = { getSecret: () => Promise.resolve(undefined), localRoots: [] };
  const admin = new BlobServiceClient(
    server.endpoint,
    new StorageSharedKeyCredential(server.accountName, server.accountKey),
  );
  let n = 0;
  const MiB = 1024 * 1024;

  const container = async (): Promise<string> => {
    const name = `aft-test-${n++}`;
    await admin.getContainerClient(name).create();
    return name;
  };

  const def = (path: string, options: Record<string, string> = {}): VfsDefinition => {
    return {
      name: "t",
      type: "azure",
      target: `azure://${server.accountName}/${path}?endpoint=${
        encodeURIComponent(server.endpoint)
      }`,
      options: { accountKey: server.accountKey, ...options },
    };
  };

  conformance("azure", async () => {
    const vfs = await openAzure(def(await container()), noSecrets);
    return { vfs, cleanup: () => vfs.close() };
  });

  conformance("azure (under a prefix)", async () => {
    const vfs = await openAzure(def(`${await container()}/some/prefix`), noSecrets);
    return { vfs, cleanup: () => vfs.close() };
  }, { largeMiB: 20 });

  objectStoreCases("azure", async () => {
    const c = await container();
    return {
      open: (prefix = "") => openAzure(def(prefix ? `${c}/${prefix}` : c), noSecrets),
      store: new AzureStore(admin.getContainerClient(c)),
      cleanup: () => Promise.resolve(),
    };
  });

  Deno.test("azure: target parsing", () => {
    const o = parseAzureTarget({
      name: "t",
      type: "azure",
      target: "azure://acct/box/a/b/",
      options: { accountKey: "K" },
    });
    assert.deepEqual(
      [o.account, o.container, o.prefix, o.endpoint, o.accountKey],
      ["acct", "box", "a/b/", "https://acct.blob.core.windows.net", "K"],
    );
    const local = parseAzureTarget({
      name: "t",
      type: "azure",
      target:
        "azure://devstoreaccount1/c?endpoint=http%3A%2F%2F127.0.0.1%3A10000%2Fdevstoreaccount1",
      options: {},
    });
    assert.deepEqual([local.prefix, local.endpoint], [
      "",
      "http://127.0.0.1:10000/devstoreaccount1",
    ]);
    for (const target of ["azure://acct", "s3://acct/box"]) {
      assert.throws(
        () => parseAzureTarget({ name: "t", type: "azure", target, options: {} }),
        (e) => isVfsError(e, "INVALID_PATH"),
      );
    }
  });

  Deno.test("azure: a wrong account key gives one clear AUTH_FAILED error", async () => {
    const c = await container();
    const wrongKey = btoa("not the key, but valid base64 of a plausible length....");
    await assert.rejects(openAzure(def(c, { accountKey: wrongKey }), noSecrets), (e) => {
      assert.ok(isVfsError(e, "AUTH_FAILED"), String(e));
      assert.match(e.message, /refused the credentials/);
      assert.equal(e.retryable, false);
      return true;
    });
    const reset = mapAzureError(
      Object.assign(new Error("read ECONNRESET"), { code: "ECONNRESET" }),
    );
    assert.deepEqual([reset.code, reset.retryable], ["CONNECTION", true]);
  });

  Deno.test("azure: a missing container is NOT_FOUND; no server is a retryable CONNECTION", async () => {
    await assert.rejects(
      openAzure(def("no-such-container"), noSecrets),
      (e) => isVfsError(e, "NOT_FOUND") && /no-such-container/.test(e.message),
    );
    await assert.rejects(
      openAzure({
        ...def("c"),
        target: `azure://${server.accountName}/c?endpoint=${
          encodeURIComponent(`http://127.0.0.1:${freePort()}/${server.accountName}`)
        }`,
      }, noSecrets),
      (e) => isVfsError(e, "CONNECTION") && e.retryable,
    );
  });

  Deno.test("azure: a server that takes the connection and answers nothing fails after idleTimeoutSeconds (each of three tries), not never", async () => {
    // Before, the SDK's own connections had no idle limit: a stat still waited after 200 s.
    const silent = startSilentServer();
    try {
      const endpoint = `http://127.0.0.1:${silent.port}/${server.accountName}`;
      const started = performance.now();
      await assert.rejects(
        within(
          openAzure({
            ...def("c", { idleTimeoutSeconds: "1" }),
            target: `azure://${server.accountName}/c?endpoint=${encodeURIComponent(endpoint)}`,
          }, noSecrets),
          "the silent server's error",
          30_000,
        ),
        (e) =>
          isVfsError(e, "TIMEOUT") &&
          /No byte went either way on the connection for 1 s/.test(e.message),
      );
      const waited = performance.now() - started;
      assert.ok(waited >= 2_500, `failed after ${waited} ms`);
      assert.equal(silent.connections(), 3, "three tries");
    } finally {
      await silent.close();
    }
    assert.equal(parseAzureTarget(def("c")).idleTimeoutMs, 300_000);
    assert.throws(
      () => parseAzureTarget(def("c", { idleTimeoutSeconds: "0" })),
      /"idleTimeoutSeconds" option/,
    );
  });

  Deno.test("azure: a server that hangs mid-transfer fails the read, the write and a stat after idleTimeoutSeconds", async () => {
    const c = await container();
    const proxy = startProxy(
      { hostname: "127.0.0.1", port: Number(new URL(server.endpoint).port) },
      { dropAfterBytes: Infinity, dropConnections: () => false },
    );
    const vfs = AzureVfs.create({
      ...parseAzureTarget(def(c, { idleTimeoutSeconds: "1" })),
      endpoint: `http://127.0.0.1:${proxy.port}/${server.accountName}`,
    });
    try {
      await assertHangFails(vfs, proxy, /No byte went either way on the connection for 1 s/);
    } finally {
      proxy.close();
      await vfs.close();
    }
  });

  Deno.test("azure: a connection lost mid-download is a retryable CONNECTION error, not a cancel", async () => {
    // The SDK ends the body with an AbortError for any lost connection: it was reported as
    // "Cancelled" (CANCELLED, not retried) though nothing was cancelled.
    const c = await container();
    const data = randomBytes(12 * MiB);
    await admin.getContainerClient(c).getBlockBlobClient("big.bin").upload(data, data.length);
    const proxy = startProxy(
      { hostname: "127.0.0.1", port: Number(new URL(server.endpoint).port) },
      { dropAfterBytes: 2 * MiB, dropConnections: (k) => k === 1 },
    );
    const vfs = AzureVfs.create({
      ...parseAzureTarget(def(c)),
      endpoint: `http://127.0.0.1:${proxy.port}/${server.accountName}`,
    });
    try {
      await assert.rejects(
        new Response(await vfs.openRead("/big.bin")).arrayBuffer(),
        (e) =>
          isVfsError(e, "CONNECTION") && e.retryable &&
          /The connection was lost while the blob was read/.test(e.message),
      );
      // The next read, on a new connection, gets every byte.
      assertSameBytes(
        new Uint8Array(await new Response(await vfs.openRead("/big.bin")).arrayBuffer()),
        data,
      );
    } finally {
      proxy.close();
      await vfs.close();
    }
  });

  Deno.test("azure: a large write shows under its name only once complete; an abort leaves nothing", async () => {
    const vfs = await openAzure(def(await container()), noSecrets);
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

  Deno.test("azure: large reads come in parallel ranged parts over connections of their own, byte for byte", async () => {
    const c = await container();
    const part = 64 * 1024;
    const data = randomBytes(10 * part + 7);
    await admin.getContainerClient(c).getBlockBlobClient("big.bin").upload(data, data.length);
    const proxy = startProxy(
      { hostname: "127.0.0.1", port: Number(new URL(server.endpoint).port) },
      { dropAfterBytes: Infinity, dropConnections: () => false },
    );
    try {
      const vfs = AzureVfs.create({
        ...parseAzureTarget(def(c)),
        endpoint: `http://127.0.0.1:${proxy.port}/${server.accountName}`,
        transfer: { partSize: part, concurrency: 3 },
      });
      await assertReadsInParts(vfs, "/big.bin", data, part);
      // One read in one request would have used one connection throughout.
      assert.ok(proxy.connections() >= 2, `${proxy.connections()} connections`);
    } finally {
      proxy.close();
    }
  });

  Deno.test("azure: uploads go in blocks of partSizeMiB; the options are checked", async () => {
    const c = await container();
    const vfs = await openAzure(def(c, { partSizeMiB: "5", concurrency: "2" }), noSecrets);
    try {
      const data = randomBytes(3 * 5 * MiB + 1);
      await put(vfs, "/up.bin", data);
      const list = await admin.getContainerClient(c).getBlockBlobClient("up.bin")
        .getBlockList("committed");
      assert.deepEqual(
        list.committedBlocks?.map((b) => b.size),
        [5 * MiB, 5 * MiB, 5 * MiB, 1],
      );
      assertSameBytes(
        new Uint8Array(await new Response(await vfs.openRead("/up.bin")).arrayBuffer()),
        data,
      );
    } finally {
      await vfs.close();
    }
    assert.deepEqual(parseAzureTarget(def(c)).transfer, { partSize: 8 * MiB, concurrency: 4 });
    assert.throws(() => parseAzureTarget(def(c, { partSizeMiB: "4" })), /"partSizeMiB" option/);
    assert.throws(() => parseAzureTarget(def(c, { concurrency: "0" })), /"concurrency" option/);
  });

  Deno.test("azure: a blob's size from a download's Content-Range or length", () => {
    assert.equal(blobSize("bytes 100-199/1000", 100, 100, 100), 1000);
    assert.equal(blobSize("bytes 0-1048575/5000000", 1048576, 0, undefined), 5000000);
    assert.equal(blobSize(undefined, 1000, 0, undefined), 1000);
    // Part of a blob without a Content-Range: the whole size is not known.
    assert.equal(blobSize(undefined, 100, 0, 100), undefined);
    assert.equal(blobSize(undefined, 900, 100, undefined), undefined);
    assert.equal(blobSize("bytes */1000", 0, 1000, undefined), 1000);
  });

  Deno.test("azure: stop the server", async () => {
    await server.stop();
  });
}
