/**
 * Where the running service gets the console's assets. A compiled binary reads the folder
 * `deno task compile` wrote and embedded (`.ui-build/`, see `build.ts`), since it cannot
 * bundle; under `deno run` the assets are bundled in memory on first use, so a fresh clone
 * serves the console with no build step and no generated file is ever committed.
 *
 * @module
 */

import { join } from "node:path";
import { type AssetSet, readAssets } from "./assets.ts";

/**
 * The folder `deno task compile` builds the assets into and embeds (`--include .ui-build`),
 * relative to this module so the binary finds it in its embedded files.
 */
export const PREBUILT_DIR = join(import.meta.dirname ?? ".", "..", "..", ".ui-build");

/**
 * Brotli quality of assets bundled in development: 11 (as the compiled binary's) costs
 * seconds on the editor's bundle at every start; 6 is within 12% of its size.
 */
export const DEV_BROTLI_QUALITY = 6;

/**
 * A loader of the asset set, made once and kept: from `prebuilt` when given (or
 * `PREBUILT_DIR` in a compiled binary), else bundled from the sources. A failed load is
 * tried again at the next call.
 */
export function consoleAssets(opts: { prebuilt?: string } = {}): () => Promise<AssetSet> {
  let pending: Promise<AssetSet> | undefined;
  const load = async (): Promise<AssetSet> => {
    const dir = opts.prebuilt ?? (Deno.build.standalone ? PREBUILT_DIR : undefined);
    if (dir) return await readAssets(dir);
    const { buildAssets } = await import("./bundle.ts");
    return await buildAssets({ brotliQuality: DEV_BROTLI_QUALITY });
  };
  return () =>
    pending ??= load().catch((err) => {
      pending = undefined;
      throw err;
    });
}
