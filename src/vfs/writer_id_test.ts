import assert from "node:assert/strict";
import { thisWriter, writerState } from "./writer_id.ts";

Deno.test("writerState(): this process is alive; another host's process cannot be told", () => {
  const me = thisWriter();
  assert.match(me.host, /^[0-9a-f]{8}$/);
  assert.equal(me.pid, Deno.pid);
  assert.equal(writerState(me), Deno.build.os === "linux" ? "alive" : "unknown");
  const other = me.host === "00000000" ? "00000001" : "00000000";
  assert.equal(writerState({ ...me, host: other }), "unknown");
});

Deno.test({
  name: "writerState(): a process that has exited, or a reused process ID, is dead",
  ignore: Deno.build.os !== "linux",
}, async () => {
  const me = thisWriter();
  // The same process ID with another start time is another process.
  assert.equal(writerState({ ...me, start: "zzzzzz" }), "dead");
  const child = new Deno.Command(Deno.execPath(), { args: ["--version"], stdout: "null" }).spawn();
  await child.status;
  assert.equal(writerState({ ...me, pid: child.pid }), "dead");
});
