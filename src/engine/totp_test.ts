import assert from "node:assert/strict";
import { base32Decode, base32Encode, matchTotp, newTotpSecret, totpCode, totpUri } from "./totp.ts";

const OATHTOOL = "/usr/bin/oathtool";
const haveOathtool = await Deno.stat(OATHTOOL).then(() => true, () => false);

/** The code Debian's oathtool computes for `secret` (base32) at `unixSeconds`. */
async function oathtool(secret: string, unixSeconds: number): Promise<string> {
  const at = new Date(unixSeconds * 1000).toISOString().replace("T", " ").replace(
    /\.\d+Z$/,
    " UTC",
  );
  const out = await new Deno.Command(OATHTOOL, {
    args: ["--totp", "--base32", "--now", at, secret],
    stdout: "piped",
    stderr: "piped",
  }).output();
  if (!out.success) throw new Error(new TextDecoder().decode(out.stderr));
  return new TextDecoder().decode(out.stdout).trim();
}

Deno.test("base32 round-trips any bytes and reads the RFC 4648 test vectors", () => {
  const enc = new TextEncoder();
  for (
    const [plain, b32] of [["", ""], ["f", "MY"], ["fo", "MZXQ"], ["foo", "MZXW6"], [
      "foobar",
      "MZXW6YTBOI",
    ]]
  ) {
    assert.equal(base32Encode(enc.encode(plain!)), b32);
    assert.deepEqual(base32Decode(b32!), enc.encode(plain!));
  }
  const bytes = crypto.getRandomValues(new Uint8Array(37));
  assert.deepEqual(base32Decode(base32Encode(bytes).toLowerCase()), bytes);
  assert.equal(base32Decode("not base32!"), undefined);
});

Deno.test("totpCode() gives RFC 6238's SHA-1 test values (last six digits)", async () => {
  // RFC 6238 appendix B: the ASCII key "12345678901234567890", 8-digit values.
  const secret = base32Encode(new TextEncoder().encode("12345678901234567890"));
  for (
    const [t, want] of [[59, "94287082"], [1111111109, "07081804"], [1234567890, "89005924"], [
      20000000000,
      "65353130",
    ]] as const
  ) {
    assert.equal(await totpCode(secret, Math.floor(t / 30)), want.slice(2));
  }
});

Deno.test({
  name: "totpCode() agrees with Debian's oathtool on random secrets and times",
  ignore: !haveOathtool,
  async fn() {
    for (let i = 0; i < 8; i++) {
      const secret = newTotpSecret();
      const t = Math.floor(Math.random() * 4_000_000_000);
      assert.equal(await totpCode(secret, Math.floor(t / 30)), await oathtool(secret, t), secret);
    }
  },
});

Deno.test("matchTotp() takes the current step and one either side, nothing further", async () => {
  const secret = newTotpSecret();
  const now = 1_750_000_015_000; // 15 s into a step
  const step = Math.floor(now / 30_000);
  for (const d of [-1, 0, 1]) {
    assert.equal(await matchTotp(secret, await totpCode(secret, step + d), now), step + d);
  }
  for (const d of [-2, 2]) {
    const code = await totpCode(secret, step + d);
    // A code of a step two away can equal a near one by chance (1 in 10^6): skip that case.
    const near = await Promise.all([-1, 0, 1].map((x) => totpCode(secret, step + x)));
    if (!near.includes(code)) assert.equal(await matchTotp(secret, code, now), undefined);
  }
  assert.equal(await matchTotp(secret, "12345", now), undefined);
  assert.equal(await matchTotp(secret, "abcdef", now), undefined);
});

Deno.test("totpUri() names the issuer and account and carries the parameters", () => {
  const uri = totpUri("JBSWY3DPEHPK3PXP", "ada lovelace");
  assert.equal(
    uri,
    "otpauth://totp/aft:ada%20lovelace?secret=JBSWY3DPEHPK3PXP&issuer=aft&algorithm=SHA1&digits=6&period=30",
  );
});
