/**
 * Direct fills: a writable stream whose sink keeps the bytes in buffers of its own (the S3
 * upload's part buffers) can offer to fill them from a byte stream's BYOB reader, so that a
 * source that reads into the caller's memory (the disk VFS) puts the file's bytes straight
 * into those buffers: no buffer per chunk on the way, and no copy from it into the part.
 *
 * The offer is kept beside the stream (it stays an ordinary WritableStream for everyone
 * else); {@linkcode fillDirect} takes it when the source is a byte stream.
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

const offers = new WeakMap<WritableStream<Uint8Array>, Fill>();

/** Marks `stream` as one whose sink can be filled directly by `fill`; answers `stream`. */
export function offerFill(
  stream: WritableStream<Uint8Array>,
  fill: Fill,
): WritableStream<Uint8Array> {
  offers.set(stream, fill);
  return stream;
}

/**
 * Moves `src` into `dst` by a direct fill when `dst` offers one and `src` is a byte stream
 * (neither locked yet); answers undefined, touching neither, otherwise. Like `pipeTo`, the
 * source is cancelled and the write aborted when either side fails or `signal` aborts.
 */
export function fillDirect(
  src: ReadableStream<Uint8Array>,
  dst: WritableStream<Uint8Array>,
  signal: AbortSignal | undefined,
  onChunk: (n: number) => void,
): Promise<void> | undefined {
  const fill = offers.get(dst);
  if (!fill || dst.locked) return undefined;
  let reader: ReadableStreamBYOBReader;
  try {
    reader = src.getReader({ mode: "byob" });
  } catch {
    return undefined; // not a byte stream, or locked
  }
  offers.delete(dst); // one fill per stream
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
