import assert from "node:assert/strict";
import { join } from "node:path";
import { writeAssets } from "./assets.ts";
import { consoleAssets, PREBUILT_DIR } from "./asset_source.ts";
import { testAssets } from "./_test_assets.ts";

Deno.test("consoleAssets() keeps the loaded set, and tries again after a failed load", async () => {
  const dir = await Deno.makeTempDir();
  try {
    const load = consoleAssets({ prebuilt: join(dir, "built") });
    await assert.rejects(load(), /Cannot read the console's assets/);
    const set = await testAssets();
    await writeAssets(join(dir, "built"), set);
    const first = await load();
    assert.equal(first.url("console.js"), set.url("console.js"));
    assert.equal(await load(), first, "loaded once");
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("deno task compile builds the assets into the folder the binary reads, and embeds it", async () => {
  const root = new URL("../../", import.meta.url).pathname;
  const config = JSON.parse(await Deno.readTextFile(join(root, "deno.json")));
  const task: string = config.tasks.compile;
  const folder = join(root, ".ui-build");
  assert.equal(PREBUILT_DIR, folder);
  const [build, compile] = task.split("&&").map((s) => s.trim());
  assert.equal(build, "deno run --allow-all src/ui/build.ts .ui-build");
  assert.match(compile!, /^deno compile .*--include \.ui-build .*main\.ts$/);
  assert.ok(config.exclude.includes(".ui-build/"), "not linted, formatted or checked");
  const ignored = await Deno.readTextFile(join(root, ".gitignore"));
  assert.match(ignored, /^\/\.ui-build\/$/m, "never committed");
});
