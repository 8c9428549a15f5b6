import assert from "node:assert/strict";
import { checkCsrf, csrfSecret, maskCsrf } from "./csrf.ts";

Deno.test("CSRF tokens: a new mask each time, each checks against its secret only", async () => {
  const secret = await csrfSecret("session-token-a");
  const a = maskCsrf(secret);
  const b = maskCsrf(secret);
  assert.notEqual(a, b, "masked anew for every response (BREACH)");
  assert.match(a, /^[A-Za-z0-9_-]{86}$/);
  assert.ok(checkCsrf(secret, a));
  assert.ok(checkCsrf(secret, b));
  const other = await csrfSecret("session-token-b");
  assert.ok(!checkCsrf(other, a));
  assert.ok(!checkCsrf(await csrfSecret("session-token-a", "presession"), a));
  for (const bad of [undefined, null, "", "x", a.slice(0, -1), a + "A", "!".repeat(86)]) {
    assert.ok(!checkCsrf(secret, bad), String(bad));
  }
});
