import assert from "node:assert/strict";
import { describeCron } from "./cron_words.ts";

const CASES: [string, string | null][] = [
  ["* * * * *", "Every minute"],
  ["*/5 * * * *", "Every 5 minutes"],
  ["0 * * * *", "At the start of every hour"],
  ["30 2 * * *", "At 02:30, every day"],
  ["0 9 * * 1-5", "At 09:00, Monday to Friday"],
  ["0 9 * * mon-fri", "At 09:00, Monday to Friday"],
  ["0 0 1 * *", "At 00:00, on day 1 of the month"],
  ["0 12 1 * MON", "At 12:00, on day 1 of the month, or on Monday"],
  ["0 12 1 * +MON", "At 12:00, on day 1 of the month, if it is a Monday"],
  ["0 */2 * * *", "Every 2 hours, on the hour"],
  ["30 */2 * * *", "At minute 30 past the hour, every 2 hours"],
  ["15,45 * * * *", "At minutes 15 and 45 past every hour"],
  ["*/10 * * * * *", "Every 10 seconds"],
  ["0 0 L * *", "At 00:00, on the last day of the month"],
  ["0 8 15W * *", "At 08:00, on the weekday nearest day 15 of the month"],
  ["0 8 * * 5#2", "At 08:00, on the second Friday of the month"],
  ["0 8 * * FRI#L", "At 08:00, on the last Friday of the month"],
  ["0 2 * * 5L", "At 02:00, on the last Friday of the month"],
  ["0 0 1 */3 *", "At 00:00, on day 1 of the month, in January, April, July and October"],
  ["0 0 * JAN-MAR *", "At 00:00, every day, from January to March"],
  ["@daily", "At 00:00, every day"],
  ["@weekly", "At 00:00, on Sunday"],
  ["0 22 * * 7", "At 22:00, on Sunday"],
  ["0 0 * * SUN,SAT", "At 00:00, on Sunday and Saturday"],
  ["0 30 9 * * * 2027", "At 09:30, every day, in year 2027"],
  ["5 9-17 * * *", "At minute 5 past the hour, between 09:00 and 17:59"],
  ["*/15 9-17 * * 1-5", "Every 15 minutes, between 09:00 and 17:59, Monday to Friday"],
  ["0 0,12 * * *", "At 00:00 and 12:00, every day"],
  ["15 30 4 * * *", "At 04:30:15, every day"],
  ["0 0 */2 * *", "At 00:00, every 2 days of the month, from day 1"],
  ["nope", null],
  ["0 0 LW * *", null],
  ["0 0 * * 9", null],
  ["0 0 * * FOO", null],
];

Deno.test("describeCron() puts each kind of field in words, and says null when it cannot", async (t) => {
  for (const [expr, want] of CASES) {
    await t.step(expr, () => assert.equal(describeCron(expr), want));
  }
});
