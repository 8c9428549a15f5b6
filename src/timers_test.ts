import assert from "node:assert/strict";
import { every, soon } from "./timers.ts";

Deno.test("every calls back again and again until stopped, then never", async () => {
  let calls = 0;
  const t = every(5, () => calls++);
  while (calls < 3) await new Promise<void>((r) => soon(r));
  t.stop();
  const at = calls;
  await new Promise((r) => setTimeout(r, 40));
  assert.equal(calls, at);
});

Deno.test("soon calls back after the current turn, once; stopped, not at all", async () => {
  const seen: string[] = [];
  soon(() => seen.push("soon"));
  const stopped = soon(() => seen.push("stopped"));
  stopped.stop();
  await Promise.resolve();
  seen.push("microtask");
  await new Promise((r) => setTimeout(r, 20));
  assert.deepEqual(seen, ["microtask", "soon"]);
});
