import assert from "node:assert/strict";
import { isBusy, machineCheck, machineHeader, median, ratio } from "./_machine.ts";

Deno.test("the machine counts as busy when the 1-minute load is above the limit, not at it", () => {
  assert.equal(isBusy([1.01, 0, 0]), true);
  assert.equal(isBusy([1, 5, 5]), false);
  assert.equal(isBusy([0.5, 0, 0], 0.4), true);
  assert.equal(isBusy([]), false); // unknown load: the header says "unknown"
  assert.match(machineHeader([2, 1, 0.5], true), /load average 2\.00 1\.00 0\.50 .*not comparable/);
  assert.match(machineHeader([], false), /load average unknown/);
});

Deno.test("median and ratio of benchmark figures", () => {
  assert.equal(median([3, 1, 2]), 2);
  assert.equal(median([4, 1, 3, 2]), 2.5);
  assert.ok(Number.isNaN(median([])));
  assert.equal(ratio(0.3, 0.2), "1.50");
  assert.equal(ratio(1, 0), "n/a");
});

Deno.test('a benchmark\'s own arguments come without --allow-busy and the "--" deno task passes on', () => {
  // `deno task bench:archive -- 128` gave the script ["--", "128"]: it read "--" as the size
  // and timed empty files (NaN MiB).
  const machine = machineCheck(["--", "128", "--allow-busy"]);
  assert.deepEqual(machine.args, ["128"]);
  assert.equal(machine.forced, true);
});
