/**
 * Pieces the object-store backends (S3, Azure Blob, GCS) share: their features, bucket-URL
 * parsing, bounded parallelism for many-key operations, and body streams whose failures surface
 * as VfsErrors.
 *
 * @module
 */

import { basename, normalizePath } from "./path.ts";
import { type FileInfo, type VfsDefinition, VfsError, type VfsFeatures } from "./types.ts";

/** Runs `fn` over `items`, at most `n` at a time. */
export async function parallel<T>(
  items: T[],
  n: number,
  fn: (t: T) => Promise<void>,
): Promise<void> {
  let i = 0;
  const worker = async () => {
    while (i < items.length) await fn(items[i++]!);
  };
  await Promise.all(Array.from({ length: Math.min(n, items.length) }, worker));
}

/** A stream with no bytes (an empty object, or a range past the end). */
export function emptyStream(): ReadableStream<Uint8Array> {
  return new ReadableStream<Uint8Array>({ start: (c) => c.close() });
}

/**
 * Wraps a body stream so that its failures surface as VfsErrors (through the backend's own
 * `mapError`) and a cancel reaches it; pulls one chunk at a time (no read-ahead).
 */
export function guardStream(
  src: ReadableStream<Uint8Array>,
  mapError: (err: unknown) => VfsError,
): ReadableStream<Uint8Array> {
  const reader = src.getReader();
  return new ReadableStream<Uint8Array>({
    async pull(c) {
      try {
        const { done, value } = await reader.read();
        if (done) c.close();
        else c.enqueue(value);
      } catch (err) {
        throw mapError(err);
      }
    },
    cancel(reason) {
      return reader.cancel(reason).catch(() => {});
    },
  }, { highWaterMark: 0 });
}

/** What the object stores can do beyond the core contract (the same for S3, Azure and GCS). */
export const OBJECT_STORE_FEATURES: VfsFeatures = {
  setTimes: false,
  chmod: false,
  truncate: false,
  serverSideCopy: true,
  realDirs: false,
  symlinks: false,
  hashes: [],
  rangedRead: true,
  append: false,
};

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

/** The FileInfo of an object (stores keep no mode; an unknown time is the epoch). */
export function objectInfo(p: string, size: number, modTime?: Date): FileInfo {
  return {
    name: basename(p),
    path: p,
    size,
    modTime: modTime ?? new Date(0),
    isDir: false,
    mode: 0,
  };
}

/** The FileInfo of a folder (a key prefix, or its marker object). */
export function folderInfo(p: string, modTime?: Date): FileInfo {
  return {
    name: basename(p),
    path: p,
    size: 0,
    modTime: modTime ?? new Date(0),
    isDir: true,
    mode: 0,
  };
}

/**
 * The connect-time check's error: a NOT_FOUND there means the bucket (container) itself is
 * missing, which is worth saying by name; anything else stays as mapped.
 */
export function bucketCheckError(mapped: VfsError, cause: unknown, what: string): VfsError {
  return mapped.code === "NOT_FOUND"
    ? new VfsError("NOT_FOUND", `${what} does not exist`, { cause })
    : mapped;
}
