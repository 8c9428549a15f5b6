/**
 * An SFTP upload filled straight from a byte stream (a disk file): the copy engine's direct
 * fill (`../direct.ts`) for the SFTP backend's writes.
 *
 * @module
 */

import type { VfsError } from "../types.ts";

/**
 * How many buffers an upload filled from a byte stream reads into ({@linkcode fillWrites}).
 * Four requests of OpenSSH's size are 1 MiB, what the write-ahead keeps in the server's window
 * on 127.0.0.1: while the channel sends one, the disk reads into the next. Two and eight
 * buffers gave the same times (medians of five in-process uploads, two rounds each).
 */
export const FILL_BUFFERS = 4;

/**
 * Moves a byte stream into an upload's WRITE requests (`send`) through at most
 * {@linkcode FILL_BUFFERS} buffers of `size` bytes: each is read into (a BYOB read, so the
 * file's bytes land in it with no buffer between), sent, and read into again once the channel
 * has copied its bytes out. Through the stream, every read got a new buffer of 1 MiB that
 * lived until the collector ran: a 256 MiB upload allocated and zeroed 256 MiB on the thread
 * that seals, and took its process's peak memory some 25 MiB higher. Resolves at the source's
 * end; throws the upload's failure (`failed`), the source's, or the signal's reason.
 */
export async function fillWrites(
  reader: ReadableStreamBYOBReader,
  size: number,
  send: (part: Uint8Array, onSent: () => void) => Promise<{ write: Promise<void> }>,
  failed: () => VfsError | undefined,
  onChunk: (n: number) => void,
  signal?: AbortSignal,
): Promise<void> {
  const free: Uint8Array[] = [];
  const pending = new Set<Promise<void>>();
  let made = 0;
  let back: PromiseWithResolvers<void> | undefined;
  const abort = Promise.withResolvers<never>();
  abort.promise.catch(() => {});
  const stop = () => abort.reject(signal!.reason);
  signal?.addEventListener("abort", stop, { once: true });
  try {
    for (;;) {
      signal?.throwIfAborted();
      const failure = failed();
      if (failure) throw failure;
      let buf = free.pop();
      if (!buf && made < FILL_BUFFERS) {
        buf = new Uint8Array(size);
        made++;
      }
      if (!buf) {
        // Every buffer waits in the channel: one comes back once its bytes are copied out, or
        // its write settles (a failure, which the loop then throws).
        back = Promise.withResolvers<void>();
        await Promise.race([back.promise, abort.promise, ...pending]);
        continue;
      }
      const { value, done } = await reader.read(buf);
      // The read hands the buffer's memory back as `value` (the one given is detached). A
      // source cancelled by the signal's abort reads as ended: not a complete file.
      if (done) return signal?.throwIfAborted();
      const whole = new Uint8Array(value.buffer);
      if (value.length === 0) {
        free.push(whole);
        continue;
      }
      onChunk(value.length);
      const { write } = await send(value, () => {
        free.push(whole);
        back?.resolve();
      });
      pending.add(write);
      write.finally(() => pending.delete(write));
    }
  } finally {
    signal?.removeEventListener("abort", stop);
  }
}
