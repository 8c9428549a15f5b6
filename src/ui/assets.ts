/**
 * The console's static files (scripts, stylesheet, icons, the editor's script API data) as a
 * set of immutable assets: each served under a content-hashed URL
 * (`/assets/console-1a2b3c4d5e6f.js`) with `Cache-Control: public, max-age=31536000,
 * immutable`, and compressed once (gzip and brotli) when made, never per request.
 *
 * A set is made in memory from the sources (development, see `bundle.ts`) or read from a
 * folder written by `deno task compile` before compiling (`writeAssets`, `readAssets`), which
 * the binary embeds.
 *
 * @example
 * ```ts
 * const set = new AssetSet([await makeAsset("console.css", new TextEncoder().encode("a{}"))]);
 * set.url("console.css"); // "/assets/console-<hash>.css"
 * ```
 * @module
 */

import { promisify } from "node:util";
import { brotliCompress, constants, gzip } from "node:zlib";
import { join } from "node:path";

/** Where assets are served. */
export const ASSET_PREFIX = "/assets/";

/** One asset with its compressed forms (absent where compression did not make it smaller). */
export interface Asset {
  /** The logical name pages ask for: `console.js`. */
  name: string;
  /** The file name under ASSET_PREFIX: `console-1a2b3c4d5e6f.js`. */
  file: string;
  type: string;
  body: Uint8Array;
  gzip?: Uint8Array;
  br?: Uint8Array;
}

/** How hard to compress: 11 for the compiled binary's assets, less for development's. */
export interface CompressOptions {
  brotliQuality?: number;
}

const TYPES: Record<string, string> = {
  ".js": "text/javascript; charset=utf-8",
  ".css": "text/css; charset=utf-8",
  ".svg": "image/svg+xml",
  ".json": "application/json",
  ".png": "image/png",
};

/** The content type of a file name, by its extension. */
export function contentType(name: string): string {
  const ext = name.slice(name.lastIndexOf("."));
  return TYPES[ext] ?? "application/octet-stream";
}

/** Makes an asset: hashed file name and compressed forms. */
export async function makeAsset(
  name: string,
  body: Uint8Array,
  opts: CompressOptions = {},
): Promise<Asset> {
  const digest = new Uint8Array(await crypto.subtle.digest("SHA-256", body as BufferSource));
  const hash = [...digest.slice(0, 6)].map((b) => b.toString(16).padStart(2, "0")).join("");
  const dot = name.lastIndexOf(".");
  const file = `${name.slice(0, dot)}-${hash}${name.slice(dot)}`;
  const type = contentType(name);
  const asset: Asset = { name, file, type, body };
  if (type.startsWith("image/png")) return asset;
  const [gz, br] = await Promise.all([
    promisify(gzip)(body, { level: 9 }),
    promisify(brotliCompress)(body, {
      params: {
        [constants.BROTLI_PARAM_QUALITY]: opts.brotliQuality ?? 11,
        [constants.BROTLI_PARAM_SIZE_HINT]: body.length,
        [constants.BROTLI_PARAM_MODE]: type.startsWith("text/")
          ? constants.BROTLI_MODE_TEXT
          : constants.BROTLI_MODE_GENERIC,
      },
    }),
  ]);
  if (gz.length < body.length) asset.gzip = new Uint8Array(gz);
  if (br.length < body.length) asset.br = new Uint8Array(br);
  return asset;
}

/** A set of assets, looked up by logical name (for pages) or by file name (for requests). */
export class AssetSet {
  readonly #byName = new Map<string, Asset>();
  readonly #byFile = new Map<string, Asset>();

  constructor(assets: Asset[]) {
    for (const a of assets) {
      this.#byName.set(a.name, a);
      this.#byFile.set(a.file, a);
    }
  }

  /** Every asset. */
  get all(): Asset[] {
    return [...this.#byName.values()];
  }

  /** The URL of the asset `name`; throws for a name the set lacks (a bug in a page). */
  url(name: string): string {
    const a = this.#byName.get(name);
    if (!a) throw new Error(`No console asset named "${name}"`);
    return ASSET_PREFIX + a.file;
  }

  /** The asset served as `file` (the part of the path after ASSET_PREFIX). */
  byFile(file: string): Asset | undefined {
    return this.#byFile.get(file);
  }
}

/** The encoding to send: brotli, then gzip, that the client accepts (q > 0) and the asset has. */
export function pickEncoding(
  accept: string | undefined,
  asset: Asset,
): "br" | "gzip" | undefined {
  if (!accept) return undefined;
  const q = new Map<string, number>();
  for (const part of accept.split(",")) {
    const [token, ...params] = part.trim().toLowerCase().split(";");
    if (!token) continue;
    const qp = params.map((p) => p.trim()).find((p) => p.startsWith("q="));
    const value = qp ? Number(qp.slice(2)) : 1;
    q.set(token.trim(), Number.isFinite(value) ? value : 0);
  }
  const ok = (enc: string) => (q.get(enc) ?? q.get("*") ?? 0) > 0;
  if (asset.br && ok("br")) return "br";
  if (asset.gzip && ok("gzip")) return "gzip";
  return undefined;
}

/** The response for GET/HEAD of an asset, in the encoding the request accepts. */
export function assetResponse(asset: Asset, req: Request): Response {
  const enc = pickEncoding(req.headers.get("Accept-Encoding") ?? undefined, asset);
  const body = enc === "br" ? asset.br! : enc === "gzip" ? asset.gzip! : asset.body;
  const headers = new Headers({
    "Content-Type": asset.type,
    "Content-Length": String(body.length),
    "Cache-Control": "public, max-age=31536000, immutable",
    "Vary": "Accept-Encoding",
    "X-Content-Type-Options": "nosniff",
  });
  if (enc) headers.set("Content-Encoding", enc);
  return new Response(req.method === "HEAD" ? null : body as BodyInit, { headers });
}

/** The manifest written beside the files: enough to rebuild the set without hashing again. */
interface Manifest {
  assets: { name: string; file: string; type: string; gzip: boolean; br: boolean }[];
}

/** Writes `set` into `dir` (made if needed): each file, its `.gz` and `.br`, and manifest.json. */
export async function writeAssets(dir: string, set: AssetSet): Promise<void> {
  await Deno.mkdir(dir, { recursive: true });
  const manifest: Manifest = { assets: [] };
  for (const a of set.all) {
    await Deno.writeFile(join(dir, a.file), a.body);
    if (a.gzip) await Deno.writeFile(join(dir, `${a.file}.gz`), a.gzip);
    if (a.br) await Deno.writeFile(join(dir, `${a.file}.br`), a.br);
    manifest.assets.push({
      name: a.name,
      file: a.file,
      type: a.type,
      gzip: a.gzip !== undefined,
      br: a.br !== undefined,
    });
  }
  await Deno.writeTextFile(join(dir, "manifest.json"), JSON.stringify(manifest, null, 1) + "\n");
}

/** Reads a set written by `writeAssets`. */
export async function readAssets(dir: string): Promise<AssetSet> {
  let manifest: Manifest;
  try {
    manifest = JSON.parse(await Deno.readTextFile(join(dir, "manifest.json")));
  } catch (err) {
    throw new Error(`Cannot read the console's assets in "${dir}": ${(err as Error).message}`);
  }
  const assets: Asset[] = [];
  for (const m of manifest.assets) {
    const a: Asset = {
      name: m.name,
      file: m.file,
      type: m.type,
      body: await Deno.readFile(join(dir, m.file)),
    };
    if (m.gzip) a.gzip = await Deno.readFile(join(dir, `${m.file}.gz`));
    if (m.br) a.br = await Deno.readFile(join(dir, `${m.file}.br`));
    assets.push(a);
  }
  return new AssetSet(assets);
}
