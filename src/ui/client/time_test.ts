import assert from "node:assert/strict";
import { localizeTime, localTime } from "./time.ts";

/** The members of a `<time>` element that `localizeTime` reads and writes. */
function timeEl(dateTime: string, format?: string) {
  return {
    dateTime,
    dataset: format ? { format } as Record<string, string> : {} as Record<string, string>,
    textContent: dateTime,
    title: "",
  };
}

const write = (el: ReturnType<typeof timeEl>) => localizeTime(el as unknown as HTMLTimeElement);

Deno.test("localizeTime writes each element's own second, once, with the UTC time as its title", () => {
  const a = timeEl("2026-12-05T04:10:35.120Z", "time");
  const b = timeEl("2026-12-05T04:10:35.980Z", "time");
  const c = timeEl("2026-12-05T04:10:36.001Z", "time");
  const d = timeEl("2026-12-05T04:10:36.001Z"); // another format, same second
  for (const el of [a, b, c, d]) write(el);
  assert.equal(a.textContent, localTime(a.dateTime, "time"));
  assert.equal(b.textContent, a.textContent);
  assert.equal(c.textContent, localTime(c.dateTime, "time"));
  assert.notEqual(c.textContent, b.textContent);
  assert.equal(d.textContent, localTime(d.dateTime, "datetime"));
  assert.equal(a.title, "2026-12-05 04:10:35 UTC");
  assert.equal(c.title, "2026-12-05 04:10:36 UTC");
  assert.equal(a.dataset.local, "1");
  // Written once: a later change of its datetime is not taken up.
  a.dateTime = "2020-01-01T00:00:00Z";
  write(a);
  assert.equal(a.title, "2026-12-05 04:10:35 UTC");
});

Deno.test("localizeTime leaves a time it cannot read as the server wrote it", () => {
  const bad = timeEl("not a time", "time");
  write(bad);
  assert.equal(bad.textContent, "not a time");
  assert.equal(bad.dataset.local, undefined);
  const good = timeEl("2026-12-05T04:10:37Z", "time");
  write(good);
  assert.equal(good.textContent, localTime(good.dateTime, "time"));
});
