/**
 * Parallel ranged downloads of large objects, as rclone's multi-thread streams: the first part
 * streams out as it comes while the next parts (`concurrency - 1` of them) are fetched at the
 * same time and handed on in order. A store that knows the whole object's size from its first
 * answer (S3's Content-Length or Content-Range) marks the stream with {@linkcode markSize};
 * reads of other stores stay one request. The first answer is asked for as a plain read (no
 * extra request for small objects) and cancelled after its first part.
 *
 * @module
 */

/** Part size and parallel requests of large transfers. */
export interface TransferOptions {
  /** Bytes per ranged request and per uploaded part. */
  partSize: number;
  /** Requests in flight for one object (1: no parallel parts). */
  concurrency: number;
}

const MiB = 1024 * 1024;

/** 8 MiB parts, 4 at a time: at most 32 MiB buffered per transfer. */
export const DEFAULT_TRANSFER: TransferOptions = { partSize: 8 * MiB, concurrency: 4 };

/** Reads `partSizeMiB` and `concurrency` options (strings or numbers) over the defaults. */
export function transferOptions(o: Record<string, unknown> | undefined): TransferOptions {
  const num = (v: unknown, what: string, min: number, max: number, fallback: number) => {
    if (v === undefined || v === "") return fallback;
    const n = Number(v);
    if (!Number.isInteger(n) || n < min || n > max) {
      throw new RangeError(`The "${what}" option must be a whole number from ${min} to ${max}`);
    }
    return n;
  };
  return {
    partSize: num(o?.partSizeMiB, "partSizeMiB", 5, 1024, DEFAULT_TRANSFER.partSize / MiB) * MiB,
    concurrency: num(o?.concurrency, "concurrency", 1, 64, DEFAULT_TRANSFER.concurrency),
  };
}

const sizes = new WeakMap<ReadableStream<Uint8Array>, number>();

/** Marks `body` (an answer to a ranged read) with the whole object's size. */
export function markSize(
  body: ReadableStream<Uint8Array>,
  size: number,
): ReadableStream<Uint8Array> {
  sizes.set(body, size);
  return body;
}

/** The whole object's size a store marked on a read's answer, if it did. */
export function markedSize(body: ReadableStream<Uint8Array>): number | undefined {
  return sizes.get(body);
}

/** Reads a whole part; a short answer means the object changed under the read. */
async function fetchPart(
  read: (offset: number, length: number) => Promise<ReadableStream<Uint8Array>>,
  offset: number,
  length: number,
): Promise<Uint8Array[]> {
  const chunks: Uint8Array[] = [];
  let got = 0;
  for await (const c of await read(offset, length)) {
    chunks.push(c);
    got += c.length;
  }
  if (got !== length) {
    throw new Error(
      `The object changed while it was read: ${got} bytes at ${offset}, not ${length}`,
    );
  }
  return chunks;
}

/**
 * The first `partSize` bytes of `first` (a read from `offset`, cancelled after them) and then
 * the rest up to `end` (exclusive), `concurrency` parts at a time.
 */
export function partsInParallel(
  first: ReadableStream<Uint8Array>,
  read: (offset: number, length: number) => Promise<ReadableStream<Uint8Array>>,
  offset: number,
  end: number,
  opts: TransferOptions,
): ReadableStream<Uint8Array> {
  const pending: Promise<Uint8Array[]>[] = [];
  let next = offset + opts.partSize;
  const launch = () => {
    while (pending.length < Math.max(1, opts.concurrency - 1) && next < end) {
      const p = fetchPart(read, next, Math.min(opts.partSize, end - next));
      p.catch(() => {}); // awaited in turn; a cancelled read leaves it unread
      pending.push(p);
      next += opts.partSize;
    }
  };
  async function* all(): AsyncGenerator<Uint8Array> {
    launch();
    let left = opts.partSize;
    const reader = first.getReader();
    try {
      while (left > 0) {
        const { done, value } = await reader.read();
        if (done) break;
        const piece = value.length > left ? value.subarray(0, left) : value;
        left -= piece.length;
        yield piece;
      }
    } finally {
      await reader.cancel().catch(() => {});
    }
    if (left > 0) throw new Error("The object changed while it was read: its first part is short");
    while (pending.length > 0) {
      const chunks = await pending.shift()!;
      launch();
      yield* chunks;
    }
  }
  return ReadableStream.from(all());
}
