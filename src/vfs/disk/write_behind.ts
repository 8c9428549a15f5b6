/**
 * A file's writable stream that gathers the caller's chunks into a buffer of
 * {@linkcode WRITE_BEHIND_BYTES} and writes each full buffer: on the caller's thread while the
 * writes are quick, and behind the caller on Deno's I/O thread from the first write that took
 * longer than {@linkcode SLOW_WRITE_MS} on. The caller's chunks are copied before `write`
 * resolves, so it may reuse them at once.
 *
 * Why gathered: a 256 MiB SFTP download arrives in about 12,000 pieces of 21 KiB on average
 * (the sizes its packets carry). Written behind the caller one by one, they had made that
 * download 0.1 to 0.3 s slower than synchronous writes (README, Performance); gathered, the
 * writes behind the caller after a slow one are about 1,000 a file of that size. Written on
 * the caller's thread, pieces and gathered buffers had measured the same (ninth sitting: median
 * copy 0.827 against 0.822 s, ten pairs).
 *
 * Why on the caller's thread: each asynchronous write is a hand-off to a thread of Deno's and a
 * wake-up back, which on the development machine (a virtual machine) cost the main thread as
 * much as the write itself: 1,024 writes of 256 KiB to a file took 30 ms of the main thread's
 * CPU time either way, and 73 to 120 ms of wall time asynchronously against 32 to 35 ms
 * synchronously. Eight alternating rounds of a 256 MiB SFTP download in one process
 * (2026-12-04): its data took a median 480 ms (434 to 607) written so, against 587 ms (509 to
 * 626) with every full buffer written asynchronously, and 0.71 against 0.78 s of the process's
 * CPU time. (At the eleventh sitting, through `node:net` and before the allocator's limits,
 * synchronous writes of the gathered buffers had gained nothing measurable.)
 *
 * Why behind the caller once slow: a disk under writeback pressure, or a network file system,
 * can hold a write for much longer, and the caller's thread serves everything else (the
 * connections the bytes arrive on, the service's requests in `aft serve`). After one slow
 * write the rest of the file's are made on the other thread, one at a time, while the next
 * buffer fills; so a slow disk holds the caller's thread for one write per file at most.
 *
 * A file that fits in the first buffer is written once, at `close`.
 *
 * A failed write (a full disk, an I/O error) fails that `write` or a later one, or the
 * `close`, so a copy never takes a file as complete that is not; `close` resolves only once
 * every byte is written and the file is closed.
 *
 * @module
 */

import { offerTake } from "../direct.ts";

/**
 * Bytes gathered before a write. Of 256 KiB, 1 MiB and 4 MiB, with asynchronous writes (eight
 * alternating rounds of that download through `aft run`, 2026-12-03): median copy 0.80, 0.81
 * and 1.19 s.
 */
export const WRITE_BEHIND_BYTES = 256 * 1024;

/** A write on the caller's thread slower than this sends the file's later writes behind it. */
export const SLOW_WRITE_MS = 10;

/**
 * A stream writing to `file` in gathered buffers (see the module's notes). `fail` turns a
 * write's error into the one the caller sees (it is called once per failure); `close` closes
 * the file, once, after the last write has ended (on abort too).
 */
export function writeBehind(
  file: Pick<Deno.FsFile, "write" | "writeSync">,
  fail: (err: unknown) => Error,
  close: () => void,
  size = WRITE_BEHIND_BYTES,
): WritableStream<Uint8Array> {
  let buf = new Uint8Array(size);
  /** The buffer of the last write, free again once it has ended. */
  let spare: Uint8Array<ArrayBuffer> | undefined;
  let fill = 0;
  let writing: Promise<void> | undefined;
  let failure: Error | undefined;
  /** Full buffers are written on the caller's thread (until one write is slow). */
  let inline = true;

  const writeAll = async (bytes: Uint8Array) => {
    let at = 0;
    while (at < bytes.length) {
      const n = await file.write(bytes.subarray(at));
      // A regular file takes at least a byte or fails; never loop on nothing.
      if (n <= 0) throw new Error(`The disk took no bytes of a ${bytes.length - at}-byte write`);
      at += n;
    }
  };
  const writeAllSync = (bytes: Uint8Array) => {
    try {
      let at = 0;
      while (at < bytes.length) {
        const n = file.writeSync(bytes.subarray(at));
        if (n <= 0) throw new Error(`The disk took no bytes of a ${bytes.length - at}-byte write`);
        at += n;
      }
    } catch (err) {
      throw failure = fail(err);
    }
  };
  /**
   * Writes the full buffer here, or hands it to a write behind the caller; answers a promise
   * only where the caller must wait first (for the write under way to end).
   */
  const handOff = (): Promise<void> | undefined => {
    if (failure) throw failure;
    if (fill === 0) return;
    if (inline) {
      const t0 = performance.now();
      writeAllSync(buf.subarray(0, fill));
      fill = 0;
      if (performance.now() - t0 > SLOW_WRITE_MS) inline = false;
      return;
    }
    if (writing) return writing.then(handOff);
    const full = buf;
    const bytes = buf.subarray(0, fill);
    buf = spare ?? new Uint8Array(size);
    spare = undefined;
    fill = 0;
    const w: Promise<void> = writeAll(bytes).then(() => {
      spare = full;
    }, (err) => {
      failure = fail(err);
    }).then(() => {
      if (writing === w) writing = undefined;
    });
    writing = w;
  };
  /** Gathers `chunk` from `at` on; a promise only where a full buffer's write is waited for. */
  const gather = (chunk: Uint8Array, at = 0): Promise<void> | undefined => {
    if (failure) throw failure;
    while (at < chunk.length) {
      // A full buffer goes when more bytes come: one that the file ends with may be written
      // at close.
      if (fill === size) {
        const wait = handOff();
        if (wait) return wait.then(() => gather(chunk, at));
      }
      const n = Math.min(chunk.length - at, size - fill);
      buf.set(chunk.subarray(at, at + n), fill);
      fill += n;
      at += n;
    }
  };
  /** A failed write ends the stream: neither close nor abort comes after it. */
  const put = (chunk: Uint8Array): Promise<void> | undefined => {
    const failed = (err: unknown): never => {
      close();
      throw err;
    };
    try {
      return gather(chunk)?.catch(failed);
    } catch (err) {
      return failed(err);
    }
  };
  const finish = async () => {
    try {
      if (inline) {
        // Every write so far was made here (or none: a small file): the rest goes so too.
        writeAllSync(buf.subarray(0, fill));
      } else {
        await handOff();
        while (writing) await writing;
        if (failure) throw failure;
      }
    } finally {
      close();
    }
  };
  const abort = async () => {
    fill = 0;
    try {
      while (writing) await writing;
    } finally {
      close();
    }
  };

  const stream = new WritableStream<Uint8Array>({
    async write(chunk) {
      await put(chunk);
    },
    close: finish,
    abort,
  });
  // The same writes for a source that hands its chunks over by a call (../direct.ts).
  return offerTake(stream, { put, close: finish, abort });
}
