/**
 * Writes a stream of small chunks to a file in large pieces, one piece on its way to the disk
 * while the next one fills. A write costs tens of microseconds whatever its size (Unzip wrote
 * 16 KiB at a time, 8,192 writes for 128 MiB, a third of its time), and buffers made fresh
 * for every megabyte cost page faults; so the chunks are copied into two buffers used in turn.
 * The caller may reuse a chunk as soon as `write` returns.
 *
 * @module
 */

/** Bytes per write; also the size of each of the two buffers. */
export const PIECE = 1 << 20;

/** Copies chunks into `PIECE`-sized writes to `file`, one in flight. */
export class BatchedWriter {
  #file: Deno.FsFile;
  #bufs: [Uint8Array, Uint8Array];
  #turn = 0;
  #fill = 0;
  #writing: Promise<void> = Promise.resolve();

  /** `expected`: how many bytes will come, when known (a small file gets small buffers). */
  constructor(file: Deno.FsFile, expected = PIECE) {
    this.#file = file;
    const piece = Math.max(1, Math.min(PIECE, expected));
    this.#bufs = [new Uint8Array(piece), new Uint8Array(piece)];
  }

  /** Takes `chunk` (copied); waits only when a full piece must wait for the one before. */
  async write(chunk: Uint8Array): Promise<void> {
    let off = 0;
    while (off < chunk.length) {
      const buf = this.#bufs[this.#turn]!;
      const n = Math.min(buf.length - this.#fill, chunk.length - off);
      buf.set(chunk.subarray(off, off + n), this.#fill);
      this.#fill += n;
      off += n;
      if (this.#fill === buf.length) await this.#send();
    }
  }

  /** Writes what is left and waits for every write to finish. */
  async flush(): Promise<void> {
    if (this.#fill > 0) await this.#send();
    await this.#writing;
  }

  async #send(): Promise<void> {
    await this.#writing; // the other buffer is free again
    const data = this.#bufs[this.#turn]!.subarray(0, this.#fill);
    this.#turn ^= 1;
    this.#fill = 0;
    this.#writing = writeAll(this.#file, data);
    // Its failure is seen by the next #send or by flush; marked handled so that a writer
    // given up (the caller failed elsewhere and closes the file) leaves no unhandled rejection.
    this.#writing.catch(() => {});
  }
}

async function writeAll(file: Deno.FsFile, data: Uint8Array): Promise<void> {
  for (let off = 0; off < data.length;) off += await file.write(data.subarray(off));
}
