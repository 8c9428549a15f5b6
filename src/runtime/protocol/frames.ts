/**
 * Length-prefixed JSON frames: a 4-byte big-endian length, then that many bytes of UTF-8 JSON.
 *
 * @module
 */

import { joinBytes } from "../../bytes.ts";

const MAX_FRAME = 256 * 1024 * 1024;
const encoder = new TextEncoder();
const decoder = new TextDecoder();

/** Encodes one message as a frame. */
export function encodeFrame(message: unknown): Uint8Array {
  const body = encoder.encode(JSON.stringify(message));
  const out = new Uint8Array(4 + body.length);
  new DataView(out.buffer).setUint32(0, body.length);
  out.set(body, 4);
  return out;
}

/**
 * Yields the messages of a stream of frames, in order. Ends when the stream ends; throws on
 * a truncated or oversized frame.
 */
export async function* readFrames<T>(stream: ReadableStream<Uint8Array>): AsyncGenerator<T> {
  let buf: Uint8Array = new Uint8Array(0);
  for await (const chunk of stream) {
    buf = buf.length === 0 ? chunk : joinBytes([buf, chunk]);
    while (buf.length >= 4) {
      const len = new DataView(buf.buffer, buf.byteOffset, 4).getUint32(0);
      if (len > MAX_FRAME) throw new Error(`Frame of ${len} bytes exceeds the limit`);
      if (buf.length < 4 + len) break;
      yield JSON.parse(decoder.decode(buf.subarray(4, 4 + len))) as T;
      buf = buf.subarray(4 + len);
    }
  }
  if (buf.length > 0) throw new Error("Stream ended inside a frame");
}

/**
 * Serializes writes of frames to one writable stream. Frames sent while a write is under way
 * go out together in the next write, so many small messages (a script's log lines) cost one
 * system call per batch rather than one each.
 */
export class FrameWriter {
  #writer: WritableStreamDefaultWriter<Uint8Array>;
  #queue: Uint8Array[] = [];
  #queued = 0;
  /** Settles when the frames queued so far are written. */
  #next: Promise<void> | undefined;
  #writing: Promise<void> = Promise.resolve();

  constructor(stream: WritableStream<Uint8Array>) {
    this.#writer = stream.getWriter();
  }

  /** Queues a message; resolves when it was written (or the stream failed). */
  send(message: unknown): Promise<void> {
    const frame = encodeFrame(message);
    this.#queue.push(frame);
    this.#queued += frame.length;
    this.#next ??= this.#writing.then(() => this.#flush());
    return this.#next;
  }

  /** Writes what is queued as one chunk. */
  #flush(): Promise<void> {
    const frames = this.#queue;
    const size = this.#queued;
    this.#queue = [];
    this.#queued = 0;
    this.#next = undefined;
    let chunk: Uint8Array;
    if (frames.length === 1) chunk = frames[0]!;
    else {
      chunk = new Uint8Array(size);
      let at = 0;
      for (const f of frames) {
        chunk.set(f, at);
        at += f.length;
      }
    }
    this.#writing = this.#writer.write(chunk).catch(() => {});
    return this.#writing;
  }

  async close(): Promise<void> {
    while (this.#next) await this.#next;
    await this.#writing;
    await this.#writer.close().catch(() => {});
  }
}
