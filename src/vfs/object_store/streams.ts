/**
 * Streams and bounded parallelism for the object stores: body streams whose failures surface as
 * VfsErrors, and many-key operations a few requests at a time.
 *
 * @module
 */

import { offerFill } from "../direct.ts";
import { VfsError, type WriteOptions } from "../types.ts";
import type { ObjectSink } from "./store.ts";

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

/**
 * A client library's Node body stream as a web stream that reads only when asked and stops the
 * Node stream when cancelled. Deno's `Readable.toWeb` passes on whatever the Node stream emits,
 * also after a cancel: stopped after its first part (`./ranged.ts`), an Azure download's stream
 * went on emitting data, and the adapter's enqueue into the closed stream threw out of the
 * process. `mapError` turns the Node stream's failures into what they mean.
 */
export function fromNodeStream(
  node: AsyncIterable<Uint8Array>,
  mapError: (err: unknown) => unknown = (err) => err,
): ReadableStream<Uint8Array> {
  const it = node[Symbol.asyncIterator]();
  return new ReadableStream<Uint8Array>({
    async pull(c) {
      let r: IteratorResult<Uint8Array>;
      try {
        r = await it.next();
      } catch (err) {
        throw mapError(err);
      }
      if (r.done) c.close();
      else c.enqueue(r.value);
    },
    // A Node stream's iterator destroys the stream when returned.
    async cancel() {
      await it.return?.();
    },
  }, { highWaterMark: 0 });
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

/**
 * A WritableStream over a store's sink, its failures mapped to VfsErrors. With `size`
 * ({@linkcode WriteOptions.size}), a stream that delivered another number of bytes aborts the
 * sink at close (so nothing is stored) and fails with VERIFY_FAILED; `onStored` hears the size
 * stored once the sink has closed. A sink that can fill its own buffers (`ObjectSink.fill`)
 * is offered for direct fills (`../direct.ts`), with the same size check.
 */
export function sinkStream(
  sink: ObjectSink,
  mapError: (err: unknown) => VfsError,
  opts: WriteOptions & { path?: string } = {},
): WritableStream<Uint8Array> {
  const mapped = (err: unknown) => Promise.reject(mapError(err));
  let written = 0;
  const close = async () => {
    if (opts.size !== undefined && written !== opts.size) {
      const err = new VfsError(
        "VERIFY_FAILED",
        `Size check failed for "${
          opts.path ?? ""
        }": expected ${opts.size} bytes, written ${written}`,
        { path: opts.path },
      );
      await sink.abort(err).catch(() => {});
      throw err;
    }
    await sink.close().catch(mapped);
    opts.onStored?.(written);
  };
  const stream = new WritableStream<Uint8Array>({
    write: (chunk) => {
      written += chunk.length;
      return sink.write(chunk).catch(mapped);
    },
    close,
    abort: (reason) => sink.abort(reason).catch(() => {}),
  });
  if (!sink.fill) return stream;
  const fill = sink.fill.bind(sink);
  return offerFill(stream, async (reader, onChunk, signal) => {
    try {
      await fill(reader, (n) => {
        written += n;
        onChunk(n);
      }, signal);
    } catch (err) {
      await sink.abort(err).catch(() => {});
      return mapped(err);
    }
    await close();
  });
}
