/**
 * A small asset set with every name the pages ask for, made without bundling, for tests of
 * the console app that do not need the real client code.
 *
 * @module
 */

import { AssetSet, makeAsset } from "./assets.ts";

/** Placeholder assets under the real logical names. */
export async function testAssets(): Promise<AssetSet> {
  const enc = new TextEncoder();
  const files: Record<string, string> = {
    "console.css": "body { margin: 0 }\n".repeat(100),
    "console.js": "document.documentElement.dataset.ready = '1';\n".repeat(50),
    "editor.js": "export {};\n".repeat(100),
    "icons.svg": '<svg xmlns="http://www.w3.org/2000/svg"></svg>',
    "favicon.svg": '<svg xmlns="http://www.w3.org/2000/svg"></svg>',
    "script-api.json": '{"globals":[],"types":{}}',
  };
  return new AssetSet(
    await Promise.all(Object.entries(files).map(([n, t]) => makeAsset(n, enc.encode(t)))),
  );
}
