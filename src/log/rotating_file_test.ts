import * as assert from "node:assert/strict";
import { join } from "node:path";
import { parseSize, RotatingFile } from "./rotating_file.ts";

Deno.test("RotatingFile keeps the set number of files, each under the size, newest in the file itself", async () => {
  const dir = await Deno.makeTempDir({ prefix: "aft-log-" });
  try {
    const path = join(dir, "logs", "aft.log");
    const f = new RotatingFile(path, { maxBytes: 2048, keep: 3 });
    for (let i = 0; i < 1000; i++) f.write(`line ${i} ${"x".repeat(40)}`);
    f.write("y".repeat(10_000)); // longer than a file: cut
    f.write("last");
    f.close();
    const names = [...Deno.readDirSync(join(dir, "logs"))].map((e) => e.name).sort();
    assert.deepEqual(names, ["aft.log", "aft.log.1", "aft.log.2", "aft.log.3"]);
    for (const n of names) {
      const st = Deno.statSync(join(dir, "logs", n));
      assert.ok(st.size <= 2048, `${n} is ${st.size} bytes`);
      if (Deno.build.os !== "windows") assert.equal(st.mode! & 0o777, 0o600);
    }
    assert.match(Deno.readTextFileSync(path), /y \[cut\]\nlast\n$/);
    assert.match(Deno.readTextFileSync(path + ".3"), /^line [89]\d\d /);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("RotatingFile with keep 0 keeps the current file only", async () => {
  const dir = await Deno.makeTempDir({ prefix: "aft-log-" });
  try {
    const f = new RotatingFile(join(dir, "a.log"), { maxBytes: 1024, keep: 0 });
    for (let i = 0; i < 200; i++) f.write(`line ${i}`);
    f.close();
    assert.deepEqual([...Deno.readDirSync(dir)].map((e) => e.name), ["a.log"]);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("parseSize() reads bytes and binary units", () => {
  assert.equal(parseSize("4096"), 4096);
  assert.equal(parseSize("10MiB"), 10 * 1024 * 1024);
  assert.equal(parseSize("512k"), 512 * 1024);
  assert.equal(parseSize("1G"), 1024 ** 3);
  assert.equal(parseSize("ten"), undefined);
  assert.equal(parseSize("-1"), undefined);
});
