/**
 * A TCP connection for ssh2 made with `Deno.connect` instead of `node:net`: it decides how much
 * one read takes and into which memory, and gathers corked writes into a buffer it keeps.
 *
 * Where a download's time went (`perf` on a 256 MiB download from OpenSSH on 127.0.0.1): page
 * faults taken in `recv` as it filled fresh buffers were about 7% of the main thread's samples
 * (and, with buffers allocated here, more in the zeroing of new ones). Reads of
 * {@linkcode READ_SIZE} (128 KiB) into memory the allocator hands back again (`../heap.ts`)
 * fault far less. In one process (connect and `copyToVfs` to disk, alternating rounds,
 * 2026-12-04), the download's data took a median 642 ms (591 to 690) against 840 ms (775 to
 * 1,082) through `node:net`, and a 256 MiB upload 815 ms (798 to 834) against 919 ms (876 to
 * 966). Without the allocator's limits, larger reads were slower (1 MiB: 985 to 1,157 ms, with
 * twice the page faults, 38,000), and the number of reads was not what cost (64 KiB reads, as
 * `node:net` makes, took about as long as `node:net`). Corked writes joined with `Buffer.concat` (new memory each time)
 * made the upload slower than `node:net` (962 against 900 ms), hence the kept gather buffer.
 *
 * It is a Node `Duplex`, as ssh2 expects of its `sock` option (ssh2 tests `writable` and
 * `_readableState`), and takes what ssh2 and `./transport.ts` call on a `net.Socket`:
 * `setNoDelay`, `cork`/`uncork` (see {@linkcode DenoSocket._writev}), `connecting` and the
 * `connect` event (ssh2's ready timeout then covers the TCP connect too).
 *
 * Every chunk it emits is memory of its own, never written again: the AES-GCM path deciphers
 * packets in place and answers keep views of the data until the file's write is done
 * (`./gcm_decipher.ts`, `./data_answers.ts`).
 *
 * @module
 */

import { Buffer } from "node:buffer";
import { Duplex } from "node:stream";

/** The most one read takes from the socket. */
export const READ_SIZE = 128 * 1024;
/**
 * A read of less than this is copied into a buffer of its size, and the read buffer kept for
 * the next read; a larger one is handed on as it is and the next read gets a new buffer.
 */
const HAND_ON = 64 * 1024;
/** Corked writes smaller than this are joined into one write; larger ones go as they are. */
const JOIN_BELOW = 64 * 1024;
/** The buffer corked writes are gathered in. */
const GATHER_SIZE = 256 * 1024;

/** A `Deno.connect` failure with the code `node:net` would give it (`./_map_error.ts`). */
function nodeError(err: unknown): Error {
  const e = err instanceof Error ? err : new Error(String(err));
  const c = e as Error & { code?: string };
  if (c.code) return e;
  if (err instanceof Deno.errors.ConnectionRefused) c.code = "ECONNREFUSED";
  // A name that does not resolve: Linux and macOS (Rust's "failed to lookup address
  // information: ..."), Windows (WSAHOST_NOT_FOUND 11001, WSANO_DATA 11004).
  else if (
    /failed to lookup address|No such host is known|os error 1100[14]\b/i.test(e.message)
  ) c.code = "ENOTFOUND";
  return e;
}

/** A TCP connection to `hostname:port`, connecting from the moment it is made. */
export class DenoSocket extends Duplex {
  /** True until the TCP connection is made (ssh2 waits for `connect` while it is). */
  connecting = true;
  #conn?: Deno.TcpConn;
  #abort = new AbortController();
  #noDelay = false;
  #wantRead = false;
  #reading = false;
  #buf?: Uint8Array;
  #gather?: Uint8Array;

  constructor(hostname: string, port: number) {
    super({ allowHalfOpen: false });
    Deno.connect({ hostname, port, signal: this.#abort.signal }).then(
      (conn) => {
        if (this.destroyed) return conn.close();
        this.#conn = conn;
        this.connecting = false;
        if (this.#noDelay) conn.setNoDelay(true);
        this.emit("connect");
        if (this.#wantRead) this.#pump();
      },
      (err) => this.destroyed || this.destroy(nodeError(err)),
    );
  }

  /** Small writes are not held back (Nagle's algorithm); kept until connected. */
  setNoDelay(noDelay = true): this {
    this.#noDelay = noDelay;
    this.#conn?.setNoDelay(noDelay);
    return this;
  }

  override _read(): void {
    this.#wantRead = true;
    if (this.#conn && !this.#reading) this.#pump();
  }

  /** Reads until the stream's buffer is full (`push` says so) or the connection ends. */
  async #pump(): Promise<void> {
    const conn = this.#conn!;
    this.#reading = true;
    try {
      for (;;) {
        const buf = this.#buf ??= new Uint8Array(READ_SIZE);
        const n = await conn.read(buf);
        if (this.destroyed) return;
        if (n === null) {
          this.push(null);
          return;
        }
        let chunk: Buffer;
        if (n >= HAND_ON) {
          chunk = Buffer.from(buf.buffer, buf.byteOffset, n);
          this.#buf = undefined;
        } else {
          chunk = Buffer.allocUnsafe(n);
          chunk.set(buf.subarray(0, n));
        }
        if (!this.push(chunk)) {
          this.#wantRead = false;
          return;
        }
      }
    } catch (err) {
      if (!this.destroyed) this.destroy(nodeError(err));
    } finally {
      this.#reading = false;
    }
  }

  async #writeAll(data: Uint8Array): Promise<void> {
    const conn = this.#conn;
    if (!conn) throw new Error("Not connected");
    for (let off = 0; off < data.length;) off += await conn.write(data.subarray(off));
  }

  override _write(chunk: Buffer, _enc: string, cb: (err?: Error | null) => void): void {
    this.#writeAll(chunk).then(() => cb(), (err) => cb(nodeError(err)));
  }

  /**
   * The writes of one corked burst: small ones gathered into one write, through a buffer kept
   * for it (memory already in use: no new pages to fault in), large ones written as they are.
   */
  override _writev(
    chunks: { chunk: Buffer }[],
    cb: (err?: Error | null) => void,
  ): void {
    const run = async () => {
      let fill = 0;
      const flush = async () => {
        if (fill === 0) return;
        const n = fill;
        fill = 0;
        await this.#writeAll(this.#gather!.subarray(0, n));
      };
      for (const { chunk } of chunks) {
        if (chunk.length >= JOIN_BELOW) {
          await flush();
          await this.#writeAll(chunk);
          continue;
        }
        this.#gather ??= new Uint8Array(GATHER_SIZE);
        if (fill + chunk.length > GATHER_SIZE) await flush();
        this.#gather.set(chunk, fill);
        fill += chunk.length;
      }
      await flush();
    };
    run().then(() => cb(), (err) => cb(nodeError(err)));
  }

  override _final(cb: (err?: Error | null) => void): void {
    const conn = this.#conn;
    if (!conn) return cb();
    conn.closeWrite().then(() => cb(), () => cb());
  }

  override _destroy(err: Error | null, cb: (err: Error | null) => void): void {
    this.#abort.abort();
    try {
      this.#conn?.close();
    } catch {
      // already closed
    }
    cb(err);
  }
}
