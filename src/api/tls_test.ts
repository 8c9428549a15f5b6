import assert from "node:assert/strict";
import { join } from "node:path";
import "reflect-metadata";
import * as x509 from "@peculiar/x509";
import { loadOrCreateTls } from "./tls.ts";
import { withTempDir } from "../../tests/fixtures/temp_dir.ts";

const DAY = 24 * 3600 * 1000;

const withDir = (fn: (dir: string) => Promise<void>) => withTempDir("aft-tls-", fn);

async function signedBy(certPem: string, caPem: string): Promise<boolean> {
  const ca = new x509.X509Certificate(caPem);
  return await new x509.X509Certificate(certPem).verify({
    publicKey: await ca.publicKey.export(),
    signatureOnly: true,
  });
}

Deno.test("loadOrCreateTls() keeps its certificates while the server one has a month to go", async () => {
  await withDir(async (dir) => {
    const first = await loadOrCreateTls(dir);
    const again = await loadOrCreateTls(dir, { now: Date.now() + 300 * DAY });
    assert.equal(again.fingerprint, first.fingerprint);
    assert.equal(again.ca, first.ca);
    assert.ok(await signedBy(first.cert, first.ca!));
    if (Deno.build.os !== "windows") {
      for (const f of ["ca.key", "server.key"]) {
        assert.equal((await Deno.stat(join(dir, "tls", f))).mode! & 0o777, 0o600, f);
      }
    }
  });
});

Deno.test("loadOrCreateTls() renews an expiring server certificate under the same CA", async () => {
  await withDir(async (dir) => {
    const first = await loadOrCreateTls(dir);
    // Within 30 days of the server certificate's end (it lives 397 days).
    const renewed = await loadOrCreateTls(dir, { now: Date.now() + 380 * DAY });
    assert.notEqual(renewed.fingerprint, first.fingerprint);
    // The CA a client or the system trust store was given stays the one that signs.
    assert.equal(renewed.ca, first.ca);
    assert.ok(await signedBy(renewed.cert, first.ca!));
    assert.equal(await Deno.readTextFile(join(dir, "tls", "server.pem")), renewed.cert);
  });
});

Deno.test("loadOrCreateTls() makes a new CA for a data directory that has no CA key", async () => {
  await withDir(async (dir) => {
    const first = await loadOrCreateTls(dir);
    await Deno.remove(join(dir, "tls", "ca.key")); // as made before the CA key was kept
    const renewed = await loadOrCreateTls(dir, { now: Date.now() + 380 * DAY });
    assert.notEqual(renewed.ca, first.ca);
    assert.ok(await signedBy(renewed.cert, renewed.ca!));
    await Deno.stat(join(dir, "tls", "ca.key"));
  });
});
