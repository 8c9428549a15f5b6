import assert from "node:assert/strict";
import { join } from "node:path";
import * as openpgp from "openpgp";
import { testContext } from "./_test_context.ts";
import { decryptCall, encryptCall } from "./openpgp.ts";
import { decryptStream, UnsupportedMessage } from "./openpgp_decrypt.ts";
import { startGpg } from "../../../../tests/fixtures/gpg.ts";
import { joinBytes } from "../../../bytes.ts";
import { assertSameBytes } from "../../../../tests/fixtures/same_bytes.ts";

const linux = Deno.build.os === "linux";

function randomBytes(n: number): Uint8Array {
  const b = new Uint8Array(n);
  for (let i = 0; i < n; i += 65536) crypto.getRandomValues(b.subarray(i, i + 65536));
  return b;
}

/** Decrypts `path` on the streaming path only (no fallback to OpenPGP.js). */
async function streamed(key: openpgp.PrivateKey, path: string): Promise<Uint8Array> {
  using file = await Deno.open(path);
  const parts: Uint8Array[] = [];
  for await (const p of decryptStream(key, "pw", file)) parts.push(p.slice());
  return joinBytes(parts);
}

Deno.test({
  name: "decryptStream() reads aft's and gpg's messages itself, every size and packing",
  ignore: !linux,
  async fn(t) {
    const gpg = await startGpg("pw");
    const dir = await Deno.makeTempDir({ prefix: "aft-pgp-dec-" });
    try {
      // Locked: the first message unlocks the encryption subkey in place.
      const key = await openpgp.readPrivateKey({ armoredKey: gpg.privateKey });
      // Sizes around the partial-length chunk (64 KiB), the AES block and the 1 MiB stage.
      const sizes = [0, 1, 15, 16, 17, 65536 - 23, 65536, (1 << 20) - 1, (1 << 20) + 33, 2621447];
      await t.step("aft's own encryption", async () => {
        for (const n of sizes) {
          const data = randomBytes(n);
          await Deno.writeFile(join(dir, "p"), data);
          const r = await encryptCall(testContext(), [
            join(dir, "p"),
            join(dir, "p.gpg"),
            gpg.publicKey,
          ]);
          assert.equal(r.error, undefined);
          assertSameBytes(await streamed(key, join(dir, "p.gpg")), data, `${n} bytes`);
        }
      });
      await t.step("gpg with each compression it may choose, and signed", async () => {
        const data = new TextEncoder().encode("2026-12-02;ACME;order;1234.50\n".repeat(90001));
        await Deno.writeFile(join(dir, "t"), data);
        const variants: [string, string[]][] = [
          ["none", ["--compress-algo", "none"]],
          ["zip", ["--compress-algo", "zip"]],
          ["zlib", ["--compress-algo", "zlib"]],
          ["signed", ["--compress-algo", "zlib", "--passphrase", "pw", "--sign"]],
        ];
        for (const [what, args] of variants) {
          const out = join(dir, `t-${what}.gpg`);
          const e = await gpg.run([
            "--trust-model",
            "always",
            ...args,
            "-r",
            gpg.email,
            "-o",
            out,
            "-e",
            join(dir, "t"),
          ]);
          assert.equal(e.code, 0, e.stderr);
          assertSameBytes(await streamed(key, out), data, what);
        }
      });
      await t.step("BZip2 is left to OpenPGP.js, which PGPDecryptFile() then uses", async () => {
        const out = join(dir, "t-bzip2.gpg");
        const e = await gpg.run([
          "--trust-model",
          "always",
          "--compress-algo",
          "bzip2",
          "-r",
          gpg.email,
          "-o",
          out,
          "-e",
          join(dir, "t"),
        ]);
        assert.equal(e.code, 0, e.stderr);
        await assert.rejects(streamed(key, out), UnsupportedMessage);
        const r = await decryptCall(testContext(), [
          out,
          join(dir, "t.back"),
          gpg.privateKey,
          "pw",
        ]);
        assert.equal(r.error, undefined);
        assert.deepEqual(
          await Deno.readFile(join(dir, "t.back")),
          await Deno.readFile(join(dir, "t")),
        );
      });
    } finally {
      await gpg.close();
      await Deno.remove(dir, { recursive: true });
    }
  },
});

Deno.test({
  name:
    "PGPDecryptFile() leaves nothing at the destination when the message is cut, altered or not OpenPGP",
  ignore: !linux,
  async fn() {
    const gpg = await startGpg("pw");
    const dir = await Deno.makeTempDir({ prefix: "aft-pgp-dec-" });
    try {
      const data = randomBytes(3 * 1024 * 1024 + 5);
      await Deno.writeFile(join(dir, "in.bin"), data);
      const ctx = testContext();
      const enc = await encryptCall(ctx, [join(dir, "in.bin"), join(dir, "in.gpg"), gpg.publicKey]);
      assert.equal(enc.ok, true);
      const whole = await Deno.readFile(join(dir, "in.gpg"));
      const cases: [string, Uint8Array, RegExp][] = [];
      // Cut in the middle (a connection lost mid-transfer), and one byte short of the MDC.
      cases.push(["cut.gpg", whole.subarray(0, whole.length >> 1), /ends early|cut short/]);
      cases.push(["short.gpg", whole.subarray(0, whole.length - 1), /ends early|cut short/]);
      // One bit changed in the middle of the data, and in the MDC itself.
      const mid = whole.slice();
      mid[mid.length >> 1]! ^= 0x01;
      cases.push(["mid.gpg", mid, /modified/]);
      const end = whole.slice();
      end[end.length - 1]! ^= 0x80;
      cases.push(["end.gpg", end, /modified/]);
      cases.push(["noise.gpg", randomBytes(4096).fill(0x8c, 0, 1), /Cannot decrypt/]);
      for (const [name, bytes, why] of cases) {
        await Deno.writeFile(join(dir, name), bytes);
        const r = await decryptCall(ctx, [
          join(dir, name),
          join(dir, name + ".out"),
          gpg.privateKey,
          "pw",
        ]);
        assert.equal(r.ok, false, name);
        assert.match(r.error!, /^Cannot decrypt ".*": /, name);
        assert.match(r.error!, why, name);
      }
      const names = Array.from(Deno.readDirSync(dir), (e) => e.name).sort();
      assert.deepEqual(names, [...cases.map((c) => c[0]), "in.bin", "in.gpg"].sort());
    } finally {
      await gpg.close();
      await Deno.remove(dir, { recursive: true });
    }
  },
});

Deno.test({
  name:
    "PGPDecryptFile() writes 0 bytes, exactly one write piece and many pieces back byte for byte",
  ignore: !linux,
  async fn() {
    const gpg = await startGpg("pw");
    const dir = await Deno.makeTempDir({ prefix: "aft-pgp-dec-" });
    try {
      // Around the 64 KiB decryption call, the 1 MiB write piece and the three read buffers
      // (which are reused from the fourth megabyte on).
      for (const n of [0, 1 << 16, 1 << 20, 5 * (1 << 20) + 7]) {
        const data = randomBytes(n);
        await Deno.writeFile(join(dir, "p"), data);
        const ctx = testContext();
        const enc = await encryptCall(ctx, [join(dir, "p"), join(dir, "p.gpg"), gpg.publicKey]);
        assert.equal(enc.error, undefined);
        const r = await decryptCall(ctx, [
          join(dir, "p.gpg"),
          join(dir, "p.out"),
          gpg.privateKey,
          "pw",
        ]);
        assert.equal(r.error, undefined, `${n} bytes`);
        assert.equal(r.bytesCopied, n);
        const back = await Deno.readFile(join(dir, "p.out"));
        assert.equal(back.length, n);
        assert.ok(back.every((b, i) => b === data[i]), `${n} bytes`);
      }
    } finally {
      await gpg.close();
      await Deno.remove(dir, { recursive: true });
    }
  },
});
