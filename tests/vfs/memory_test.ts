import { MemoryVfs } from "../../src/vfs/memory/memory.ts";
import assert from "node:assert/strict";
import { copyToVfs } from "../../src/vfs/copy.ts";
import { conformance } from "./conformance.ts";

conformance(
  "memory",
  () => Promise.resolve({ vfs: new MemoryVfs(), cleanup: () => Promise.resolve() }),
);

Deno.test("copy: stopOnError starts no further files after one fails; without it all are tried", async () => {
  for (const stopOnError of [true, false]) {
    const src = new MemoryVfs();
    const dst = new MemoryVfs();
    await src.mkdir("/in", { recursive: true });
    for (const name of ["a.txt", "b.txt", "c.txt"]) {
      await ReadableStream.from([new TextEncoder().encode(name)]).pipeTo(
        await src.openWrite(`/in/${name}`),
      );
    }
    // A folder where the first file should go makes that file fail.
    await dst.mkdir("/out/a.txt", { recursive: true });
    const r = await copyToVfs(src, "/in/*.txt", dst, "/out", { concurrency: 1, stopOnError });
    assert.equal(r.ok, false);
    assert.deepEqual(r.errors.map((e) => e.path), ["/in/a.txt"]);
    assert.equal(r.files, stopOnError ? 0 : 2);
  }
});
