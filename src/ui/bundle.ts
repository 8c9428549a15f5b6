/**
 * Builds the console's asset set from its sources: the client modules bundled and minified by
 * `deno bundle` (one bundle per entry: `console.js` on every page, `editor.js` on the editor's),
 * the stylesheet (joined from `styles/`), the icon sprite, the favicon, and `script-api.json`, the editor's completion
 * and hover data, derived from the script typings that `aft types` writes.
 *
 * Runs under `deno run` only (it starts `deno bundle`): in development on the first request,
 * and from `build.ts` before `deno compile`. A compiled binary reads the written set instead.
 *
 * @module
 */

import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { scriptTypings } from "../engine/mod.ts";
import { type Asset, AssetSet, type CompressOptions, makeAsset } from "./assets.ts";
import { parseTypings } from "./script_api.ts";

const HERE = fileURLToPath(new URL(".", import.meta.url));
const CONFIG = fileURLToPath(new URL("../../deno.json", import.meta.url));

/** The client entry modules in `client/`; each becomes `<name>.js`. */
export const CLIENT_ENTRIES = ["console.ts", "editor.ts"] as const;

/** Files of `static/` served as they are. */
export const STATIC_FILES = ["icons.svg", "favicon.svg"] as const;

/** The parts of `console.css` in `styles/`, in cascade order. */
export const STYLESHEETS = [
  "tokens.css",
  "base.css",
  "frame.css",
  "components.css",
  "live.css",
  "editor.css",
  "pages.css",
  "style_guide.css",
] as const;

/** Bundles the client entries with `deno bundle`; returns each output by its file name. */
export async function bundleClient(): Promise<Map<string, Uint8Array>> {
  const out = await Deno.makeTempDir({ prefix: "aft-ui-bundle-" });
  try {
    const entries = CLIENT_ENTRIES.map((e) => join(HERE, "client", e));
    const { code, stderr } = await new Deno.Command(Deno.execPath(), {
      args: [
        "bundle",
        "--quiet",
        "--config",
        CONFIG,
        "--platform",
        "browser",
        "--format",
        "esm",
        "--minify",
        "--outdir",
        out,
        ...entries,
      ],
      stdout: "null",
      stderr: "piped",
      env: { NO_COLOR: "1" },
    }).output();
    if (code !== 0) {
      const why = new TextDecoder().decode(stderr).trim().split("\n").slice(-8).join("\n");
      throw new Error(
        `Cannot bundle the console's client modules: deno bundle exited ${code}: ${why}`,
      );
    }
    const files = new Map<string, Uint8Array>();
    for (const e of CLIENT_ENTRIES) {
      const name = e.replace(/\.ts$/, ".js");
      files.set(name, await Deno.readFile(join(out, name)));
    }
    return files;
  } finally {
    await Deno.remove(out, { recursive: true }).catch(() => {});
  }
}

/** The editor's data: every script global and type, from the typings. */
export async function scriptApiJson(): Promise<Uint8Array> {
  return new TextEncoder().encode(JSON.stringify(parseTypings(await scriptTypings())));
}

/** The console's one stylesheet: the parts in `styles/`, joined. */
export async function stylesheet(): Promise<Uint8Array> {
  const parts = await Promise.all(
    STYLESHEETS.map((f) => Deno.readTextFile(join(HERE, "styles", f))),
  );
  return new TextEncoder().encode(parts.join("\n"));
}

/** Builds every asset of the console. */
export async function buildAssets(opts: CompressOptions = {}): Promise<AssetSet> {
  const sources = new Map<string, Uint8Array>(await bundleClient());
  for (const f of STATIC_FILES) sources.set(f, await Deno.readFile(join(HERE, "static", f)));
  sources.set("console.css", await stylesheet());
  sources.set("script-api.json", await scriptApiJson());
  const assets: Asset[] = await Promise.all(
    [...sources].map(([name, body]) => makeAsset(name, body, opts)),
  );
  return new AssetSet(assets);
}
