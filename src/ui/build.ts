/**
 * Builds the console's assets into a folder for `deno compile` to embed:
 * `deno run --allow-all src/ui/build.ts [DIR]` (default `.ui-build/`, which is gitignored).
 * `deno task compile` runs it first and passes the folder with `--include`.
 *
 * @module
 */

import { relative } from "node:path";
import { writeAssets } from "./assets.ts";
import { PREBUILT_DIR } from "./asset_source.ts";
import { buildAssets } from "./bundle.ts";

/** Builds the assets into `dir`, replacing what was there; returns one line per asset. */
export async function buildInto(dir: string): Promise<string[]> {
  const set = await buildAssets({ brotliQuality: 11 });
  await Deno.remove(dir, { recursive: true }).catch((err) => {
    if (!(err instanceof Deno.errors.NotFound)) throw err;
  });
  await writeAssets(dir, set);
  return set.all.map((a) =>
    `${a.file.padEnd(36)} ${String(a.body.length).padStart(8)} B` +
    `${a.gzip ? `  gzip ${a.gzip.length}` : ""}${a.br ? `  br ${a.br.length}` : ""}`
  );
}

if (import.meta.main) {
  const dir = Deno.args[0] ?? PREBUILT_DIR;
  const lines = await buildInto(dir);
  console.error(`aft: console assets in ${relative(Deno.cwd(), dir) || "."}:`);
  for (const l of lines) console.error(`  ${l}`);
}
