import assert from "node:assert/strict";
import { join } from "node:path";
import { testContext } from "./_test_context.ts";
import { decryptCall, encryptCall } from "./openpgp.ts";
import { type GpgKeyring, startGpg } from "../../../../tests/fixtures/gpg.ts";
import { assertSameBytes } from "../../../../tests/fixtures/same_bytes.ts";

const linux = Deno.build.os === "linux";

/** A throw-away GnuPG key pair (passphrase "pw") and a scratch folder. */
async function withGpg(fn: (gpg: GpgKeyring, dir: string) => Promise<void>): Promise<void> {
  const gpg = await startGpg("pw");
  const dir = await Deno.makeTempDir({ prefix: "aft-pgp-" });
  try {
    await fn(gpg, dir);
  } finally {
    await gpg.close();
    await Deno.remove(dir, { recursive: true });
  }
}

function randomBytes(n: number): Uint8Array {
  const b = new Uint8Array(n);
  for (let i = 0; i < n; i += 65536) crypto.getRandomValues(b.subarray(i, i + 65536));
  return b;
}

Deno.test({
  name: "PGPEncryptFile() output decrypts with gpg byte for byte (50 MiB)",
  ignore: !linux,
  async fn() {
    await withGpg(async (gpg, dir) => {
      const data = randomBytes(50 * 1024 * 1024);
      await Deno.writeFile(join(dir, "plain.bin"), data);
      const r = await encryptCall(testContext(), [
        join(dir, "plain.bin"),
        join(dir, "plain.bin.gpg"),
        gpg.publicKey,
      ]);
      assert.equal(r.error, undefined);
      const plain = await gpg.decrypt(join(dir, "plain.bin.gpg"));
      assert.equal(plain.length, data.length);
      assertSameBytes(plain, data);
    });
  },
});

Deno.test({
  name: "PGPDecryptFile() reads what gpg encrypts, binary and armored",
  ignore: !linux,
  async fn() {
    await withGpg(async (gpg, dir) => {
      const data = randomBytes(3 * 1024 * 1024 + 17);
      await Deno.writeFile(join(dir, "in.bin"), data);
      for (const armor of [false, true]) {
        const out = join(dir, armor ? "in.asc" : "in.gpg");
        const e = await gpg.run([
          "--trust-model",
          "always",
          ...(armor ? ["--armor"] : []),
          "-r",
          gpg.email,
          "-o",
          out,
          "-e",
          join(dir, "in.bin"),
        ]);
        assert.equal(e.code, 0, e.stderr);
        const back = join(dir, armor ? "back-armored.bin" : "back.bin");
        const r = await decryptCall(testContext(), [out, back, gpg.privateKey, "pw"]);
        assert.equal(r.error, undefined);
        assertSameBytes(await Deno.readFile(back), data);
      }
    });
  },
});

Deno.test({
  name:
    "PGPDecryptFile() fails clearly and writes nothing for a wrong passphrase or a damaged file",
  ignore: !linux,
  async fn() {
    await withGpg(async (gpg, dir) => {
      const data = randomBytes(1024 * 1024);
      await Deno.writeFile(join(dir, "in.bin"), data);
      const ctx = testContext();
      const enc = await encryptCall(ctx, [join(dir, "in.bin"), join(dir, "in.gpg"), gpg.publicKey]);
      assert.equal(enc.ok, true);
      const wrong = await decryptCall(ctx, [
        join(dir, "in.gpg"),
        join(dir, "o1"),
        gpg.privateKey,
        "nope",
      ]);
      assert.equal(wrong.ok, false);
      assert.match(wrong.error!, /Cannot unlock the private key/);
      const bytes = await Deno.readFile(join(dir, "in.gpg"));
      bytes[bytes.length - 5000]! ^= 0xff;
      await Deno.writeFile(join(dir, "bad.gpg"), bytes);
      const bad = await decryptCall(ctx, [
        join(dir, "bad.gpg"),
        join(dir, "o2"),
        gpg.privateKey,
        "pw",
      ]);
      assert.equal(bad.ok, false);
      assert.match(bad.error!, /Cannot decrypt/);
      const notKey = await encryptCall(ctx, [join(dir, "in.bin"), join(dir, "o3"), "not a key"]);
      assert.match(notKey.error!, /not a valid OpenPGP key/);
      const names = Array.from(Deno.readDirSync(dir), (e) => e.name).sort();
      assert.deepEqual(names, ["bad.gpg", "in.bin", "in.gpg"]);
    });
  },
});
