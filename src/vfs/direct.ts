/**
 * Direct hand-offs between a file's readable stream and another's writable stream: a source
 * that has its chunks as whole buffers already (an SFTP download's pieces, as they arrived) can
 * hand each to a sink that takes it by a call (the disk's gathered writes), with no stream
 * between them: no queue, read or write promise per chunk. Both offers are kept beside their
 * streams, which stay ordinary streams for everyone else; the copy engine's pipe
 * (`./pump.ts`) takes them when both ends offer.
 *
 * @module
 */

/** What a readable stream's source offers. */
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

/** What a writable stream's sink offers. */
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

const drains = new WeakMap<ReadableStream<Uint8Array>, Drain>();
const takes = new WeakMap<WritableStream<Uint8Array>, Take>();

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
 * The offers of `src` and `dst` when both have one and neither stream is locked; the streams
 * are locked then (nothing else may read or write them), and each offer is handed out once.
 */
export function takeOffers(
  src: ReadableStream<Uint8Array>,
  dst: WritableStream<Uint8Array>,
): { drain: Drain; take: Take } | undefined {
  const drain = drains.get(src);
  const take = takes.get(dst);
  if (!drain || !take || src.locked || dst.locked) return undefined;
  drains.delete(src);
  takes.delete(dst);
  src.getReader();
  dst.getWriter();
  return { drain, take };
}
