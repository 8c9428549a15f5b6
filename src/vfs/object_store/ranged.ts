/**
 * Parallel ranged downloads of large objects, as rclone's multi-thread streams: the first part
 * streams out as it comes while the next parts (`concurrency - 1` of them) are fetched at the
 * same time and handed on in order. A store that knows the whole object's size from its first
 * answer (S3's Content-Length or Content-Range, Azure's likewise, GCS's metadata) marks the
 * stream with {@linkcode markSize}; reads of other stores stay one request. The first answer
 * is asked for as a plain read (no extra request for small objects) and cancelled after its
 * first part; a store that learns the size before it reads (GCS) answers the first part alone
 * (the read's `part`, see `store.ts`).
 *
 * A store whose client checks whole reads against a checksum (GCS's CRC32C) loses that check
 * when the read is cut into ranged parts, which the client does not check; it gives the same
 * check with the size ({@linkcode WholeCheck}), and the parts of a whole object pass through it
 * in order: a mismatch fails the read at its end.
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

/** Reads `partSizeMiB` and `concurrency` options (strings or numbers) over `defaults`. */
export function transferOptions(
  o: Record<string, unknown> | undefined,
  defaults: TransferOptions = DEFAULT_TRANSFER,
): TransferOptions {
  const num = (v: unknown, what: string, min: number, max: number, fallback: number) => {
    if (v === undefined || v === "") return fallback;
    const n = Number(v);
    if (!Number.isInteger(n) || n < min || n > max) {
      throw new RangeError(`The "${what}" option must be a whole number from ${min} to ${max}`);
    }
    return n;
  };
  return {
    partSize: num(o?.partSizeMiB, "partSizeMiB", 5, 1024, defaults.partSize / MiB) * MiB,
    concurrency: num(o?.concurrency, "concurrency", 1, 64, defaults.concurrency),
  };
}

/** A check of a whole object's bytes: fed all of them in order, then asked to verify. */
export interface WholeCheck {
  update(chunk: Uint8Array): void;
  /** Throws (a VfsError) when the bytes fed are not the object's. */
  verify(): void;
}

/** What a read's answer says of the whole object. */
interface Whole {
  size: number;
  /** A new check of the whole object's bytes, for a read of all of it. */
  check?: () => WholeCheck;
}

const wholes = new WeakMap<ReadableStream<Uint8Array>, Whole>();

/**
 * Marks `body` (an answer to a ranged read) with the whole object's size, and with `check`
 * when the read is of the whole object and the store has a checksum to hold it to.
 */
export function markSize(
  body: ReadableStream<Uint8Array>,
  size: number,
  check?: () => WholeCheck,
): ReadableStream<Uint8Array> {
  wholes.set(body, { size, ...(check ? { check } : {}) });
  return body;
}

/** The whole object's size a store marked on a read's answer, if it did. */
export function markedSize(body: ReadableStream<Uint8Array>): number | undefined {
  return wholes.get(body)?.size;
}

/** The whole-object check a store marked on a read's answer, if it did. */
export function markedCheck(body: ReadableStream<Uint8Array>): (() => WholeCheck) | undefined {
  return wholes.get(body)?.check;
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
 * the rest up to `end` (exclusive), `concurrency` parts at a time; every byte through `check`
 * when given, which must pass once the last part is in.
 */
export function partsInParallel(
  first: ReadableStream<Uint8Array>,
  read: (offset: number, length: number) => Promise<ReadableStream<Uint8Array>>,
  offset: number,
  end: number,
  opts: TransferOptions,
  check?: WholeCheck,
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
  async function* inOrder(): AsyncGenerator<Uint8Array> {
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
  async function* all(): AsyncGenerator<Uint8Array> {
    if (!check) return yield* inOrder();
    for await (const chunk of inOrder()) {
      check.update(chunk);
      yield chunk;
    }
    check.verify();
  }
  return ReadableStream.from(all());
}
