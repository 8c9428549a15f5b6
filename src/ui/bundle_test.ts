import assert from "node:assert/strict";
import { buildAssets, CLIENT_ENTRIES, STATIC_FILES, STYLESHEETS } from "./bundle.ts";
import type { ScriptApi } from "./script_api.ts";

Deno.test("buildAssets() bundles the client, keeps the editor apart, and derives the API data", async () => {
  const set = await buildAssets({ brotliQuality: 4 });
  const names = set.all.map((a) => a.name).sort();
  assert.deepEqual(
    names,
    [
      ...CLIENT_ENTRIES.map((e) => e.replace(".ts", ".js")),
      ...STATIC_FILES,
      "console.css",
      "script-api.json",
    ].sort(),
  );
  const file = (n: string) => set.byFile(set.url(n).slice("/assets/".length))!;
  const consoleJs = new TextDecoder().decode(file("console.js").body);
  const editorJs = new TextDecoder().decode(file("editor.js").body);
  // Every page loads console.js: it must not carry the editor (CodeMirror, acorn).
  assert.ok(
    file("console.js").body.length < 40_000,
    `console.js is ${file("console.js").body.length} B`,
  );
  assert.ok(!consoleJs.includes("cm-editor"));
  assert.ok(editorJs.includes("cm-editor"));
  for (const js of [consoleJs, editorJs]) {
    assert.ok(!/(^|[;}])import[\s{*"']/.test(js), "one self-contained file, no import left");
    assert.ok(!/https?:\/\/(?!www\.w3\.org\/)/.test(js), "no address elsewhere (CDN, fonts)");
  }
  const css = new TextDecoder().decode(file("console.css").body);
  for (const part of STYLESHEETS) {
    const text = await Deno.readTextFile(new URL(`./styles/${part}`, import.meta.url));
    assert.ok(css.includes(text), `console.css has ${part}`);
  }
  const styles = [...Deno.readDirSync(new URL("./styles/", import.meta.url))].map((e) => e.name);
  assert.deepEqual(styles.sort(), [...STYLESHEETS].sort(), "every file of styles/ is in the list");
  const api = JSON.parse(new TextDecoder().decode(file("script-api.json").body)) as ScriptApi;
  assert.ok(api.globals.some((g) => g.name === "VirtualFSByName"));
  assert.ok(api.types.VirtualFS!.members.some((m) => m.name === "CopyToVFS"));
});
