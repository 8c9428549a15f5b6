import assert from "node:assert/strict";
import { ACCESS_ENDED, watchAccess } from "./stream_access.ts";

const settled = (signal: AbortSignal, ms: number) =>
  new Promise<boolean>((resolve) => {
    const t = setTimeout(() => resolve(false), ms);
    signal.addEventListener("abort", () => {
      clearTimeout(t);
      resolve(true);
    }, { once: true });
  });

Deno.test("watchAccess() asks again and again while the answer is yes, and ends at the first no", async () => {
  let asked = 0;
  const abort = new AbortController();
  watchAccess(() => Promise.resolve(++asked < 4), abort, 10);
  assert.equal(await settled(abort.signal, 2_000), true);
  assert.equal(asked, 4);
  assert.equal(abort.signal.reason, ACCESS_ENDED);
});

Deno.test("watchAccess() takes a failing check for a no, and stops asking once aborted", async () => {
  const failing = new AbortController();
  watchAccess(() => Promise.reject(new Error("store gone")), failing, 10);
  assert.equal(await settled(failing.signal, 2_000), true);
  assert.equal(failing.signal.reason, ACCESS_ENDED);

  let asked = 0;
  const closed = new AbortController();
  watchAccess(() => Promise.resolve(++asked > 0), closed, 10);
  await new Promise((r) => setTimeout(r, 35));
  closed.abort("client gone");
  const then = asked;
  await new Promise((r) => setTimeout(r, 50));
  assert.equal(asked, then, "no look after the abort");
  assert.equal(closed.signal.reason, "client gone");
});
