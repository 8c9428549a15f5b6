/**
 * The small surface an object store (S3, Azure Blob, GCS) implements for
 * {@linkcode ObjectStoreVfs}, which writes folders, stat, list, mkdir, remove, rename and copy
 * once on top of it. A store speaks in whole keys (the VFS root's prefix included) and knows
 * nothing of folders: that is the base's job.
 *
 * Errors: a method may throw its client's native errors; the base asks the store what they
 * mean (`isMissing`, `isPastEnd`) and maps them through {@linkcode ObjectStore.mapError} with
 * the VFS path they concern.
 *
 * Parallel transfers of large objects (rclone's multi-thread streams): a store whose `read`
 * answers carry the whole object's size (`markSize`, see `ranged.ts`) gets large reads split
 * into parts fetched several at a time; uploads are the store's own (S3's multipart upload keeps
 * several parts in flight, Azure's block uploads likewise; GCS's resumable upload is one
 * stream). Not built yet: an optional `openChunkWriter(key)` next to
 * `openWrite` (S3 UploadPart, Azure stageBlock) so that the base cuts every store's uploads.
 *
 * @module
 */

import type { VfsError } from "../types.ts";

/** One object as a listing or a head request reports it. */
export interface ObjectMeta {
  /** The whole key. */
  key: string;
  size: number;
  /** Last modification; undefined when the store did not say. */
  modTime?: Date;
}

/** What one listing request asks for. */
export interface ListRequest {
  /** Keys starting with this (`""`: the whole bucket). */
  prefix: string;
  /** Group the keys below the next `/` after the prefix into {@linkcode ObjectPage.prefixes}. */
  delimited?: boolean;
  /** Keys on the page at most (default: the store's usual page). */
  max?: number;
  /** Where the previous page ended ({@linkcode ObjectPage.next}). */
  token?: string;
}

/** One page of a listing, in key order. */
export interface ObjectPage {
  objects: ObjectMeta[];
  /** With `delimited`: the common prefixes one level down, each ending with `/`. */
  prefixes: string[];
  /** The token of the next page; undefined on the last one. */
  next?: string;
}

/**
 * Where a stream being written goes. `close` resolves once the object is stored under its
 * key (not before: a reader never sees a partial object); `abort` stores nothing new.
 */
export interface ObjectSink {
  write(chunk: Uint8Array): Promise<void>;
  /**
   * Reads from `reader` into the sink's own buffers until the source ends (as many `write`s
   * would, with no copy; see `../direct.ts`), telling `onChunk` each read's size, and fails
   * with `signal`'s reason once it is aborted. The caller then closes or aborts the sink.
   */
  fill?(
    reader: ReadableStreamBYOBReader,
    onChunk: (n: number) => void,
    signal?: AbortSignal,
  ): Promise<void>;
  close(): Promise<void>;
  abort(reason: unknown): Promise<void>;
}

/** A bucket (container) of one object store, as {@linkcode ObjectStoreVfs} uses it. */
export interface ObjectStore {
  /** The bucket as named in errors: `S3 bucket "reports"`. */
  readonly label: string;
  /** What the objects are called in errors: `S3 objects`. */
  readonly objects: string;
  /**
  /** The object at `key`; fails as {@linkcode ObjectStore.isMissing} tells when there is none. */
  head(key: string): Promise<ObjectMeta>;
  /** One page of the keys under a prefix. */
  list(req: ListRequest): Promise<ObjectPage>;
  /**
   * The bytes of `key` from `offset`, `length` of them at most (to the end when undefined; the
   * base never asks for 0 bytes). Fails as `isMissing` tells when there is no such object, and
   * as `isPastEnd` tells when the range starts at or past the end of the object (a store that
   * knows the size may answer an empty stream instead).
   *
   * `part`, when given, is the part size of the base's parallel reads (`ranged.ts`): a store
   * that knows the object's size before it reads may answer the first `part` bytes alone when
   * the range is longer, marking the answer with the size (`markSize`), and the base reads
   * the rest in parts. (A store that learns the size from the answer reads the whole range;
   * the base stops that answer after its first part.)
   */
  read(
    key: string,
    range: { offset: number; length?: number; part?: number },
  ): Promise<ReadableStream<Uint8Array>>;
  /**
   * A stream of any length written to `key`, replacing what is there. `size`, when the caller
   * knows it, lets a store start a multipart upload before the first part is full (the stream
   * must still accept any length: the size check is the caller's).
   */
  openWrite(key: string, size?: number): Promise<ObjectSink>;
  /** A whole small object in one request (folder markers). */
  put(key: string, data: Uint8Array): Promise<void>;
  /** Deletes one object. */
  delete(key: string): Promise<void>;
  /**
   * Deletes many objects in few requests, where the store has a batch call (a key that is not
   * there is no failure); answers the first key that failed and why. Without it the base
   * deletes one by one, several at a time.
   */
  deleteMany?(keys: string[]): Promise<{ key: string; error: unknown } | undefined>;
  /** Server-side copy of one object of `size` bytes. */
  copy(from: string, to: string, size: number): Promise<void>;
  /** True when a failure says there is no such object (and not: no such bucket). */
  isMissing(err: unknown): boolean;
  /** True when a failed `read` was refused for a range starting at or past the end. */
  isPastEnd(err: unknown): boolean;
  /** A native error as a VfsError; `path` is the VFS path it concerns. */
  mapError(err: unknown, path?: string): VfsError;
  /** Releases the client's connections. */
  close?(): void;
}
