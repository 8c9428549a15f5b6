import assert from "node:assert/strict";
import { keepFreedMemory, RELEASE_AFTER_MS } from "./heap.ts";

Deno.test("keepFreedMemory() raises glibc's limits on Linux until its users are done, and AFT_KEEP_FREED=0 leaves them", async () => {
  const linux = Deno.build.os === "linux";
  const a = keepFreedMemory();
  const b = keepFreedMemory();
  assert.equal(a.kept, linux, "on Linux with glibc (CI's Debian) the limits are set");
  assert.equal(b.kept, linux);
  a.done();
  a.done(); // counted once: b still holds
  b.done();
  // The free memory is given back later, on a timer that must not keep a process alive.
  await new Promise((resolve) => setTimeout(resolve, RELEASE_AFTER_MS + 100));
  const off = await new Deno.Command(Deno.execPath(), {
    args: [
      "eval",
      `import { keepFreedMemory } from "${new URL("./heap.ts", import.meta.url)}";` +
      "const k = keepFreedMemory(); console.log(k.kept); k.done();",
    ],
    env: { AFT_KEEP_FREED: "0" },
  }).output();
  assert.equal(new TextDecoder().decode(off.stdout).trim(), "false");
  // With the limits raised, a process whose last user is done exits at once, not after the
  // release timer.
  const t0 = performance.now();
  const on = await new Deno.Command(Deno.execPath(), {
    args: [
      "eval",
      `import { keepFreedMemory } from "${new URL("./heap.ts", import.meta.url)}";` +
      "const k = keepFreedMemory(); console.log(k.kept); k.done();",
    ],
  }).output();
  assert.equal(new TextDecoder().decode(on.stdout).trim(), String(linux));
  assert.ok(performance.now() - t0 < RELEASE_AFTER_MS, "the process did not wait for the timer");
});
