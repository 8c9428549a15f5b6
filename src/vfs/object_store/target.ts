/**
 * Bucket URLs of the object stores: `SCHEME://bucket/prefix?query`.
 *
 * @module
 */

import { normalizePath } from "../path.ts";
import { type VfsDefinition, VfsError } from "../types.ts";

/**
 * Parses `SCHEME://bucket/prefix?query`: the bucket, the key prefix of the VFS root (`""` or
 * ending with `/`), and a lookup of a query parameter falling back to the option of that name.
 * `usage` is the target's shape, shown when it is not one. Also checks an `endpoint` URL.
 */
export function parseBucketTarget(def: VfsDefinition, scheme: string, usage: string): {
  bucket: string;
  prefix: string;
  param: (key: string) => string | undefined;
  endpoint?: string;
} {
  const bad = () => new VfsError("INVALID_PATH", `Bad target "${def.target}": expected ${usage}`);
  let url: URL;
  try {
    url = new URL(def.target);
  } catch {
    throw bad();
  }
  if (url.protocol !== `${scheme}:` || !url.hostname) throw bad();
  const o = def.options ?? {};
  const param = (k: string) => url.searchParams.get(k) ?? o[k] ?? undefined;
  let prefix: string;
  try {
    prefix = normalizePath(decodeURIComponent(url.pathname || "/")).slice(1);
  } catch (err) {
    if (err instanceof VfsError) throw err;
    throw new VfsError("INVALID_PATH", `Bad prefix in "${def.target}"`, { cause: err });
  }
  const endpoint = param("endpoint") || undefined;
  if (endpoint) {
    try {
      new URL(endpoint);
    } catch {
      throw new VfsError("INVALID_PATH", `Bad endpoint URL: "${endpoint}"`);
    }
  }
  return {
    bucket: decodeURIComponent(url.hostname),
    prefix: prefix ? prefix + "/" : "",
    param,
    endpoint,
  };
}
