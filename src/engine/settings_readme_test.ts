/**
 * The README's settings table names every setting, with its default.
 */

import assert from "node:assert/strict";
import { fileURLToPath } from "node:url";
import { type SettingKey, SETTINGS } from "./settings.ts";

Deno.test("the README's settings table names every setting with its default", async () => {
  const readme = await Deno.readTextFile(
    fileURLToPath(new URL("../../README.md", import.meta.url)),
  );
  const start = readme.indexOf("### Settings");
  assert.ok(start >= 0, "the README has a Settings section");
  const rows = readme.slice(start).split("\n").filter((l) => l.startsWith("| `"));
  const listed = new Map<string, string>();
  for (const row of rows) {
    const [names, defaults] = row.split(" | ");
    const ds = defaults!.split(", ");
    [...names!.matchAll(/`([^`]+)`/g)].forEach((m, i) => listed.set(m[1]!, ds[i] ?? ds[0]!));
  }
  for (const key of Object.keys(SETTINGS) as SettingKey[]) {
    assert.ok(listed.has(key), `the README lists the setting "${key}"`);
    const d = SETTINGS[key].default;
    const text = typeof d === "string" && d !== "" ? d : JSON.stringify(d);
    assert.equal(listed.get(key), `\`${text}\``, `the README's default of "${key}"`);
  }
});
