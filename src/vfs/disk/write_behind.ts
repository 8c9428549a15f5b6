/**
 * A file's writable stream that writes behind the caller: chunks are gathered into a buffer of
 * {@linkcode WRITE_BEHIND_BYTES}, and each full buffer goes to Deno's asynchronous file write
 * (another thread) while the next one fills. At most one write is under way; a chunk that
 * finds the next buffer full waits for it. The caller's chunks are copied before `write`
 * resolves, so it may reuse them at once.
 *
 * Why: the kernel's copy into the page cache is most of a disk write's cost (93% of a `cp` of
 * 256 MiB, `perf`), and a synchronous write pays it on the thread that also deciphers and
 * parses what arrives. A 256 MiB SFTP download to disk spent 283 ms of its main thread in
 * `writeSync` (one CPU profile of `aft run`) and made about 12,000 writes of 21 KiB on average,
 * the size of the pieces a download's packets arrive in. Writing each piece asynchronously cost
 * more than it saved (a hand-off to the other thread each: 0.65 to 0.92 s against 0.56 to
 * 0.61 s, when 65b78f4 made the writes synchronous), and gathering them for `writeSync` gained
 * nothing measurable. Gathered into buffers of 256 KiB, the hand-offs are about 1,000, and the
 * kernel's copy is made on Deno's I/O thread, not on the one that deciphers. Eight alternating rounds of
 * that download through `aft run` (2026-12-03): median copy 0.80 s with 256 KiB buffers,
 * 0.81 s with 1 MiB, 1.19 s with 4 MiB (not looked into) and 0.96 s with `writeSync`, against
 * 0.85 s for OpenSSH's `sftp` in the same rounds.
 *
 * A file that fits in the first buffer is written at `close`, synchronously: for a small file a
 * hand-off to the other thread costs more than the write (see `disk.ts` for how the buffer is
 * sized to the file).
 *
 * A failed write (a full disk, an I/O error) fails the next `write` or the `close`, so a copy
 * never takes a file as complete that is not; `close` resolves only once every byte is
 * written and the file is closed.
 *
 * @module
 */

/** Bytes gathered before a write: the fastest of 256 KiB, 1 MiB and 4 MiB (see above). */
export const WRITE_BEHIND_BYTES = 256 * 1024;

/**
 * A stream writing to `file` behind the caller. `fail` turns a write's error into the one the
 * caller sees (it is called once per failure); `close` closes the file, once, after the last
 * write has ended (on abort too).
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
  /** Waits for the write under way; throws its failure. */
  const settle = async () => {
    if (writing) await writing;
    if (failure) throw failure;
  };
  /** Hands the gathered bytes to a write once the one under way has ended. */
  const handOff = async () => {
    await settle();
    if (fill === 0) return;
    const full = buf;
    const bytes = buf.subarray(0, fill);
    buf = spare ?? new Uint8Array(size);
    spare = undefined;
    fill = 0;
    writing = writeAll(bytes).then(() => {
      spare = full;
    }, (err) => {
      failure = fail(err);
    });
  };

  return new WritableStream<Uint8Array>({
    async write(chunk) {
      try {
        if (failure) throw failure;
        let at = 0;
        while (at < chunk.length) {
          // A full buffer goes when more bytes come: one that the file ends with may be written
          // at close.
          if (fill === size) await handOff();
          const n = Math.min(chunk.length - at, size - fill);
          buf.set(chunk.subarray(at, at + n), fill);
          fill += n;
          at += n;
        }
      } catch (err) {
        // The stream is errored now: neither close nor abort comes after this.
        close();
        throw err;
      }
    },
    async close() {
      try {
        if (writing === undefined) {
          // All of it fits in the first buffer (a small file): one write here, no hand-off.
          writeAllSync(buf.subarray(0, fill));
        } else {
          await handOff();
          await settle();
        }
      } finally {
        close();
      }
    },
    async abort() {
      fill = 0;
      try {
        await writing;
      } finally {
        close();
      }
    },
  });
}
