import assert from "node:assert/strict";
import { hashPassword, needsRehash, SCRYPT_PARAMS, verifyPassword } from "./passwords.ts";

Deno.test("hashPassword() salts each hash and verifyPassword() takes only the password", async () => {
  const a = await hashPassword("correct horse battery staple");
  const b = await hashPassword("correct horse battery staple");
  assert.notEqual(a, b, "a fresh salt each time");
  assert.match(a, /^\$scrypt\$ln=15,r=8,p=1\$[A-Za-z0-9+/]{22}\$[A-Za-z0-9+/]{43}$/);
  assert.ok(!a.includes("horse"));
  assert.equal(await verifyPassword("correct horse battery staple", a), true);
  assert.equal(await verifyPassword("correct horse battery stapler", a), false);
  assert.equal(await verifyPassword("", a), false);
  assert.equal(needsRehash(a), false);
  assert.equal(SCRYPT_PARAMS.ln, 15);
});

Deno.test("verifyPassword() refuses malformed hashes and parameters out of bounds", async () => {
  const good = await hashPassword("p");
  for (
    const bad of [
      "",
      "plain text",
      good.replace("ln=15", "ln=30"), // 2^30: would take the machine's memory
      good.replace("r=8", "r=0"),
      good.slice(0, -4),
      good.replace("$scrypt$", "$argon2id$"),
    ]
  ) {
    assert.equal(await verifyPassword("p", bad), false, bad);
  }
});

Deno.test("the hash of a unicode password does not depend on its normal form", async () => {
  const h = await hashPassword("caf\u00e9 au lait, s'il vous pla\u00eet");
  assert.equal(await verifyPassword("cafe\u0301 au lait, s'il vous plai\u0302t", h), true);
});
