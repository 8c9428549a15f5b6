import assert from "node:assert/strict";
import { ICON_NAMES } from "./icons.ts";

Deno.test("the icon sprite has exactly the icons ICON_NAMES lists, each a 24x24 symbol", async () => {
  const svg = await Deno.readTextFile(new URL("./static/icons.svg", import.meta.url));
  const ids = [...svg.matchAll(/<symbol id="i-([\w-]+)" viewBox="0 0 24 24">/g)].map((m) => m[1]);
  assert.deepEqual([...ids].sort(), [...ICON_NAMES].sort());
  assert.equal((svg.match(/<symbol /g) ?? []).length, ICON_NAMES.length);
  assert.ok(
    !/\bstyle=|<script|href="http/i.test(svg),
    "no inline style, script or remote reference",
  );
});
