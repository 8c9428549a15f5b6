import assert from "node:assert/strict";
import { ownerAlive, ownerOf, processOwner } from "./owner.ts";

Deno.test("this process and its parent are alive owners", async () => {
  assert.match(processOwner(), /^\d+:[0-9a-z]+$/);
  assert.ok(await ownerAlive(processOwner()));
  assert.ok(await ownerAlive(ownerOf(Deno.ppid)));
});

Deno.test("an owner whose process ended, or whose ID was reused, is gone", async () => {
  const child = new Deno.Command(Deno.execPath(), { args: ["eval", ""] }).spawn();
  const owner = ownerOf(child.pid);
  await child.status;
  assert.equal(await ownerAlive(owner), false);
  assert.equal(await ownerAlive("not-a-pid:1"), false);
  if (Deno.build.os === "linux") {
    // The same process ID with another start time is another process.
    const [pid, start] = ownerOf(Deno.ppid).split(":");
    assert.equal(await ownerAlive(`${pid}:${Number(start) + 1}`), false);
    assert.equal(
      await ownerAlive(`${Deno.pid}:${Number(processOwner().split(":")[1]) + 1}`),
      false,
    );
  }
});
