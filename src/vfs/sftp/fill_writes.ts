/**
 * An SFTP upload filled straight from a byte stream (a disk file): the copy engine's direct
 * fill (`../direct.ts`) for the SFTP backend's writes.
 *
 * @module
 */

/**
 * How many buffers an upload filled from a byte stream reads into ({@linkcode fillWrites}).
 * Four requests of OpenSSH's size are 1 MiB, what the write-ahead keeps in the server's window
 * on 127.0.0.1: while the channel sends one, the disk reads into the next. Two and eight
 * buffers gave the same times (medians of five in-process uploads, two rounds each).
 */
export const FILL_BUFFERS = 4;

/** The upload's side of a fill: one open file's WRITE requests (`SftpVfs.openWrite`). */
export interface WriteRequests {
  /** Resolves once another request may go; throws the upload's failure, if any. */
  ready(): Promise<void>;
  /**
   * Sends `part` as the next request; `onSent` runs once the channel no longer holds `part`.
   * The answer settles when the server has answered (never rejects: a failure is what the next
   * {@linkcode WriteRequests.ready} throws).
   */
  send(part: Uint8Array, onSent: () => void): Promise<void>;
}

/**
 * Moves a byte stream into an upload's WRITE requests through at most
 * {@linkcode FILL_BUFFERS} buffers of `size` bytes: each is read into (a BYOB read, so the
 * file's bytes land in it with no buffer between), sent, and read into again once the channel
 * has copied its bytes out. Through the stream, every read got a new buffer of 1 MiB, zeroed on
 * the thread that seals and kept until the collector ran (`memset` under the stream's reads was
 * 5% of that thread's samples in a profile of a 256 MiB upload); the upload's peak in
 * `bench:transfer` was 120 to 122 MiB, 98 to 99 with the fill. Resolves at the source's end;
 * throws the upload's failure, the source's, or the signal's reason.
 */
export async function fillWrites(
  reader: ReadableStreamBYOBReader,
  size: number,
  requests: WriteRequests,
  onChunk: (n: number) => void,
  signal?: AbortSignal,
): Promise<void> {
  const free: Uint8Array[] = [];
  let made = 0;
  // Wakes a wait for a free buffer: one came back, a write settled (a failure, which `ready`
  // then throws, may leave its buffer in the channel for good), or the signal aborted.
  let back: PromiseWithResolvers<void> | undefined;
  const wake = () => back?.resolve();
  signal?.addEventListener("abort", wake, { once: true });
  try {
    for (;;) {
      signal?.throwIfAborted();
      await requests.ready();
      let buf = free.pop();
      if (!buf && made < FILL_BUFFERS) {
        buf = new Uint8Array(size);
        made++;
      }
      if (!buf) {
        back = Promise.withResolvers<void>();
        await back.promise;
        continue;
      }
      const { value, done } = await reader.read(buf);
      // A source cancelled by the signal's abort reads as ended: not a complete file.
      if (done) return signal?.throwIfAborted();
      // The read hands the buffer's memory back as `value` (the one given is detached); a
      // read that is not the end has at least one byte.
      const whole = new Uint8Array(value.buffer);
      onChunk(value.length);
      requests.send(value, () => {
        free.push(whole);
        wake();
      }).finally(wake);
    }
  } finally {
    signal?.removeEventListener("abort", wake);
  }
}
