import assert from "node:assert/strict";
import { Slots } from "./slots.ts";

Deno.test("Slots: never more than its size at once, waiters served in order, a slot freed by a failure too", async () => {
  const slots = new Slots(2);
  let now = 0;
  let peak = 0;
  const started: number[] = [];
  const job = (i: number) =>
    slots.run(async () => {
      started.push(i);
      peak = Math.max(peak, ++now);
      await new Promise((resolve) => setTimeout(resolve, 2));
      now--;
      if (i === 3) throw new Error("job 3 fails");
      return i;
    });
  const results = await Promise.allSettled([0, 1, 2, 3, 4, 5, 6].map(job));
  assert.equal(peak, 2);
  assert.deepEqual(started, [0, 1, 2, 3, 4, 5, 6]);
  assert.deepEqual(results.map((r) => r.status), [
    "fulfilled",
    "fulfilled",
    "fulfilled",
    "rejected",
    "fulfilled",
    "fulfilled",
    "fulfilled",
  ]);
});

Deno.test("Slots: a slot given back goes to the waiter, not to a caller arriving meanwhile", async () => {
  const slots = new Slots(1);
  await slots.take();
  let waiterHas = false;
  const waiter = slots.take().then(() => waiterHas = true);
  slots.give(); // handed to the waiter, which resumes only on a later microtask
  let newcomerHas = false;
  const newcomer = slots.take().then(() => newcomerHas = true);
  await waiter;
  await Promise.resolve();
  assert.deepEqual([waiterHas, newcomerHas], [true, false]);
  slots.give();
  await newcomer;
  assert.equal(newcomerHas, true);
  slots.give();
  assert.throws(() => new Slots(0), RangeError);
});
