import assert from "node:assert/strict";
import {
  fingerprint,
  isLeftover,
  isTempName,
  parseTempName,
  STALE_AFTER_MS,
  tempName,
} from "./temp_name.ts";
import { thisWriter } from "./writer_id.ts";

const info = { path: "/out/report.csv", size: 1234, modTime: new Date("2026-01-02T03:04:05Z") };

Deno.test("tempName() names the target, the copy and this process, and parseTempName() reads them back", () => {
  const fp = fingerprint("report.csv", info);
  assert.match(fp, /^[0-9a-f]{12}$/);
  for (const target of ["report.csv", ".env", "..x", "...", "a.aft-12345678.tmp", "new\nline"]) {
    const name = tempName(target, fp);
    assert.ok(name.startsWith(`.${target}.`), name);
    assert.ok(isTempName(name), name);
    const t = parseTempName(name)!;
    assert.equal(t.target, target);
    assert.equal(t.fingerprint, fp);
    assert.deepEqual(t.writer, thisWriter());
  }
  assert.notEqual(tempName("a", fp), tempName("a", fp), "two temporary names never collide");
});

Deno.test("fingerprint() differs when the target or the source changes", () => {
  const fp = fingerprint("report.csv", info);
  assert.equal(fingerprint("report.csv", { ...info }), fp);
  assert.notEqual(fingerprint("other.csv", info), fp);
  assert.notEqual(fingerprint("report.csv", { ...info, size: 1235 }), fp);
  assert.notEqual(fingerprint("report.csv", { ...info, modTime: new Date(0) }), fp);
  assert.notEqual(fingerprint("report.csv", { ...info, path: "/out/x/report.csv" }), fp);
});

Deno.test("tempName() keeps a long name within 255 bytes; the fingerprint still tells the file", () => {
  const long = "ü".repeat(127); // 254 bytes
  const fp = fingerprint(long, info);
  const name = tempName(long, fp);
  assert.ok(new TextEncoder().encode(name).length <= 255, `${name.length} characters`);
  assert.equal(parseTempName(name)?.fingerprint, fp);
  assert.ok(long.startsWith(parseTempName(name)!.target));
});

Deno.test("parseTempName() recognises the older temporary names, and nothing else", () => {
  assert.deepEqual(parseTempName(".report.csv.aft-1a2b3c4d.tmp"), { target: "report.csv" });
  for (const n of ["report.csv", ".report.csv", ".report.aft-1a2b.tmp", "x.aft-1a2b3c4d.tmp"]) {
    assert.equal(parseTempName(n), undefined, n);
    assert.equal(isTempName(n), false, n);
  }
});

Deno.test("isLeftover(): a gone writer's file at once, one that cannot be asked after a day, a running writer's never", () => {
  const me = thisWriter();
  const now = Date.now();
  const fresh = new Date(now - 1000);
  const old = new Date(now - STALE_AFTER_MS);
  const parse = (name: string) => parseTempName(name)!;
  const dead = parse(tempName("a", undefined, { ...me, start: me.start + "0" }));
  const foreign = parse(tempName("a", undefined, { ...me, host: "00000000" }));
  const older = parse(".a.aft-1234abcd.tmp");
  const live = parse(tempName("a"));
  assert.equal(isLeftover(dead, fresh, now), true);
  assert.equal(isLeftover(foreign, fresh, now), false);
  assert.equal(isLeftover(foreign, old, now), true);
  assert.equal(isLeftover(older, fresh, now), false);
  assert.equal(isLeftover(older, old, now), true);
  assert.equal(isLeftover(live, old, now), false);
});
