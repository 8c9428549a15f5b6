import assert from "node:assert/strict";
import { keepFreedMemory, releaseFreedMemory } from "./heap.ts";

Deno.test("keepFreedMemory() raises glibc's limits on Linux, and AFT_KEEP_FREED=0 leaves them", async () => {
  const linux = Deno.build.os === "linux";
  assert.equal(keepFreedMemory(), linux, "on Linux with glibc (CI's Debian) the limits are set");
  assert.equal(keepFreedMemory(), linux, "a second call answers the same");
  releaseFreedMemory();
  const off = await new Deno.Command(Deno.execPath(), {
    args: [
      "eval",
      `import { keepFreedMemory } from "${new URL("./heap.ts", import.meta.url)}";` +
      "console.log(keepFreedMemory());",
    ],
    env: { AFT_KEEP_FREED: "0" },
  }).output();
  assert.equal(new TextDecoder().decode(off.stdout).trim(), "false");
});
