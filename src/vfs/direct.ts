/**
 * Direct hand-offs between a file's readable stream and another's writable stream. Each end
 * offers what it can beside its stream (which stays an ordinary stream for everyone else), and
 * the copy engine's pipe (`./pump.ts`) takes the offers through {@linkcode pipeDirect} when
 * both ends have a matching one:
 *
 * - Fills: a sink that keeps the bytes in buffers of its own (the S3 upload's part buffers, an
 *   SFTP upload's request buffers) fills them from a byte stream's BYOB reader, so that a
 *   source that reads into the caller's memory (the disk VFS) puts the file's bytes straight
 *   into those buffers: no buffer per chunk on the way, and no copy from it into the part.
 * - Drains and takes: a source that has its chunks as whole buffers already (an SFTP
 *   download's pieces, as they arrived) hands each to a sink that takes it by a call (the
 *   disk's gathered writes): no queue, read or write promise per chunk.
 *
 * Like `pipeTo`, each cancels the source and aborts the write when either side fails or the
 * signal aborts.
 *
 * @module
 */

/**
 * Fills the sink from `reader` until the source ends, then completes the write as the
 * stream's close would (size check included). Tells `onChunk` the size of each read. On any
 * failure the write is aborted as the stream's abort would, and the failure thrown; so is
 * `signal`'s reason once it is aborted.
 */
export type Fill = (
  reader: ReadableStreamBYOBReader,
  onChunk: (n: number) => void,
  signal?: AbortSignal,
) => Promise<void>;

/** What a readable stream's source offers to hand its chunks over by a call. */
export interface Drain {
  /**
   * Calls `put` with each chunk in order, waiting for the promise it answers, if any; resolves
   * once the source has ended. Rejects with the source's failure, `put`'s (thrown or
   * rejected), or the reason given to {@linkcode Drain.cancel}.
   */
  run(put: (chunk: Uint8Array) => Promise<void> | undefined): Promise<void>;
  /** Stops the source at once: a pending `run` rejects with `reason`, and no `put` follows. */
  cancel(reason: unknown): void;
}

/** What a writable stream's sink offers to take chunks by a call. */
export interface Take {
  /**
   * Takes a chunk: copies it or writes it before answering, so the caller may reuse it once
   * the answer (undefined, or a promise) has settled. Throws or rejects once the write failed.
   */
  put(chunk: Uint8Array): Promise<void> | undefined;
  /** Completes the write, as the stream's `close` would. */
  close(): Promise<void>;
  /** Gives the write up, as the stream's `abort` would. */
  abort(reason: unknown): Promise<void>;
}

const fills = new WeakMap<WritableStream<Uint8Array>, Fill>();
const drains = new WeakMap<ReadableStream<Uint8Array>, Drain>();
const takes = new WeakMap<WritableStream<Uint8Array>, Take>();

/** Marks `stream` as one whose sink can be filled directly by `fill`; answers `stream`. */
export function offerFill(
  stream: WritableStream<Uint8Array>,
  fill: Fill,
): WritableStream<Uint8Array> {
  fills.set(stream, fill);
  return stream;
}

/** Marks `stream` as one whose source can be drained directly; answers `stream`. */
export function offerDrain(
  stream: ReadableStream<Uint8Array>,
  drain: Drain,
): ReadableStream<Uint8Array> {
  drains.set(stream, drain);
  return stream;
}

/** Marks `stream` as one whose sink takes chunks by a call; answers `stream`. */
export function offerTake(
  stream: WritableStream<Uint8Array>,
  take: Take,
): WritableStream<Uint8Array> {
  takes.set(stream, take);
  return stream;
}

/**
 * Moves `src` into `dst` directly where their offers match (neither stream locked yet): a
 * fill, else a drain into a take. Answers undefined, touching neither, otherwise.
 */
export function pipeDirect(
  src: ReadableStream<Uint8Array>,
  dst: WritableStream<Uint8Array>,
  signal: AbortSignal | undefined,
  onChunk: (n: number) => void,
): Promise<void> | undefined {
  return fillDirect(src, dst, signal, onChunk) ?? drainDirect(src, dst, signal, onChunk);
}

/**
 * Moves `src` into `dst` by a direct fill when `dst` offers one and `src` is a byte stream
 * (neither locked yet); answers undefined, touching neither, otherwise.
 */
export function fillDirect(
  src: ReadableStream<Uint8Array>,
  dst: WritableStream<Uint8Array>,
  signal: AbortSignal | undefined,
  onChunk: (n: number) => void,
): Promise<void> | undefined {
  const fill = fills.get(dst);
  if (!fill || dst.locked) return undefined;
  let reader: ReadableStreamBYOBReader;
  try {
    reader = src.getReader({ mode: "byob" });
  } catch {
    return undefined; // not a byte stream, or locked
  }
  fills.delete(dst); // one fill per stream
  const stop = () => void reader.cancel(signal?.reason).catch(() => {});
  signal?.addEventListener("abort", stop, { once: true });
  return (async () => {
    try {
      await fill(reader, onChunk, signal);
    } catch (err) {
      await reader.cancel(err).catch(() => {});
      throw err;
    } finally {
      signal?.removeEventListener("abort", stop);
      reader.releaseLock();
    }
  })();
}

/**
 * Moves `src` into `dst` by a drain into a take when both offer (neither locked yet); the
 * streams stay locked then (nothing else may read or write them). Answers undefined, touching
 * neither, otherwise.
 */
function drainDirect(
  src: ReadableStream<Uint8Array>,
  dst: WritableStream<Uint8Array>,
  signal: AbortSignal | undefined,
  onChunk: (n: number) => void,
): Promise<void> | undefined {
  const drain = drains.get(src);
  const take = takes.get(dst);
  if (!drain || !take || src.locked || dst.locked) return undefined;
  drains.delete(src);
  takes.delete(dst);
  src.getReader();
  dst.getWriter();
  const stop = () => drain.cancel(signal!.reason);
  return (async () => {
    try {
      signal?.throwIfAborted();
      signal?.addEventListener("abort", stop, { once: true });
      await drain.run((chunk) => {
        onChunk(chunk.byteLength);
        return take.put(chunk);
      });
      signal?.throwIfAborted();
      await take.close();
    } catch (err) {
      drain.cancel(err);
      await take.abort(err).catch(() => {});
      throw err;
    } finally {
      signal?.removeEventListener("abort", stop);
    }
  })();
}
