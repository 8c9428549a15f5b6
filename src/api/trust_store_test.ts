import assert from "node:assert/strict";
import { join } from "node:path";
import "reflect-metadata";
import * as x509 from "@peculiar/x509";
import { loadOrCreateTls } from "./tls.ts";
import {
  detectStore,
  entryFor,
  MACOS_KEYCHAIN,
  type Probe,
  readRecord,
  recordFile,
  trustSteps,
  untrustSteps,
  writeRecord,
} from "./trust_store.ts";

function probe(dirs: string[], commands: string[]): Probe {
  return {
    isDir: (p) => Promise.resolve(dirs.includes(p)),
    hasCommand: (c) => Promise.resolve(commands.includes(c)),
  };
}

async function withCa(fn: (pem: string, dir: string) => Promise<void>) {
  const dir = await Deno.makeTempDir({ prefix: "aft-trust-" });
  try {
    const { ca } = await loadOrCreateTls(dir);
    await fn(ca!, dir);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
}

Deno.test("detectStore() finds the Debian or the Red Hat layout by folder and command", async () => {
  const debian = probe(["/usr/local/share/ca-certificates"], ["update-ca-certificates"]);
  const redhat = probe(["/etc/pki/ca-trust/source/anchors"], ["update-ca-trust"]);
  assert.equal(await detectStore("linux", debian), "debian");
  assert.equal(await detectStore("linux", redhat), "redhat");
  // A folder without its command (or the reverse) is not a layout that can be used.
  assert.equal(
    await detectStore("linux", probe(["/usr/local/share/ca-certificates"], [])),
    undefined,
  );
  assert.equal(await detectStore("linux", probe([], ["update-ca-trust"])), undefined);
  assert.equal(await detectStore("darwin", probe([], [])), "macos");
  assert.equal(await detectStore("windows", probe([], [])), "windows");
  assert.equal(await detectStore("freebsd", debian), undefined);
});

Deno.test("entryFor() names the certificate by its SHA-1 and SHA-256 and a file of its own", async () => {
  await withCa(async (pem) => {
    const raw = new Uint8Array(new x509.X509Certificate(pem).rawData);
    const hex = async (alg: string) =>
      [...new Uint8Array(await crypto.subtle.digest(alg, raw))]
        .map((b) => b.toString(16).padStart(2, "0")).join("").toUpperCase();
    const e = await entryFor("debian", pem);
    assert.equal(e.sha1, await hex("SHA-1"));
    assert.equal(e.sha256, await hex("SHA-256"));
    assert.equal(
      e.file,
      `/usr/local/share/ca-certificates/aft-local-ca-${e.sha256.slice(0, 16).toLowerCase()}.crt`,
    );
    const r = await entryFor("redhat", pem);
    assert.match(
      r.file!,
      /^\/etc\/pki\/ca-trust\/source\/anchors\/aft-local-ca-[0-9a-f]{16}\.pem$/,
    );
    assert.equal((await entryFor("macos", pem)).file, undefined);
  });
});

Deno.test("trustSteps() and untrustSteps() give each store's own commands", async () => {
  await withCa(async (pem) => {
    const deb = await entryFor("debian", pem);
    assert.deepEqual(trustSteps(deb, "/d/tls/ca.pem").map((s) => s.argv), [
      ["install", "-m", "0644", "/d/tls/ca.pem", deb.file],
      ["update-ca-certificates"],
    ]);
    const debOut = untrustSteps(deb, "/tmp/x.pem");
    // --fresh: a plain run would leave the removed file's links in /etc/ssl/certs.
    assert.deepEqual(debOut.map((s) => s.argv), [
      ["rm", "-f", deb.file],
      ["update-ca-certificates", "--fresh"],
    ]);
    // The file is removed only while it holds what trust wrote there.
    assert.deepEqual(debOut[0]!.onlyIfFileHolds, { file: deb.file, pem });

    const rh = await entryFor("redhat", pem);
    assert.deepEqual(trustSteps(rh, "/d/ca.pem").map((s) => s.argv).at(-1), [
      "update-ca-trust",
      "extract",
    ]);

    const mac = await entryFor("macos", pem);
    assert.deepEqual(trustSteps(mac, "/d/ca.pem").map((s) => s.argv), [
      ["security", "add-trusted-cert", "-d", "-r", "trustRoot", "-k", MACOS_KEYCHAIN, "/d/ca.pem"],
    ]);
    assert.deepEqual(untrustSteps(mac, "/tmp/x.pem").map((s) => s.argv), [
      ["security", "remove-trusted-cert", "-d", "/tmp/x.pem"],
      ["security", "delete-certificate", "-Z", mac.sha1, MACOS_KEYCHAIN],
    ]);

    const win = await entryFor("windows", pem);
    assert.deepEqual(trustSteps(win, "C:\\d\\ca.pem").map((s) => s.argv), [
      ["certutil", "-addstore", "-f", "Root", "C:\\d\\ca.pem"],
    ]);
    assert.deepEqual(untrustSteps(win, "x").map((s) => s.argv), [
      ["certutil", "-delstore", "Root", win.sha1],
    ]);
  });
});

Deno.test("the trust record is kept private and removed once empty", async () => {
  await withCa(async (pem, dir) => {
    assert.deepEqual(await readRecord(dir), []);
    const e = await entryFor("debian", pem);
    await writeRecord(dir, [e]);
    assert.deepEqual(await readRecord(dir), [e]);
    if (Deno.build.os !== "windows") {
      assert.equal((await Deno.stat(recordFile(dir))).mode! & 0o777, 0o600);
    }
    await writeRecord(dir, []);
    await assert.rejects(Deno.stat(join(dir, "tls", "trusted.json")), Deno.errors.NotFound);
  });
});
