/**
 * Writes opened before their file's checks, for a copy whose first files go in place (a
 * destination whose writes are whole or nothing: the object stores) and replace whatever file
 * is there (`overwrite: "always"`): nothing the checks can find would skip the file, so the
 * write can be opened while the copy makes the folders and looks at what they hold. For S3
 * that creates the multipart upload then, not after: one round trip less before the first part
 * goes. No byte is written before the checks passed (the copy engine writes only once they
 * have), and a write that the copy does not take (a folder at the name, a failure, a cancel)
 * is aborted, which stores nothing.
 *
 * @module
 */

import type { FileInfo, Vfs } from "./types.ts";

/** The writes opened early for the first files of one copy. */
export class EarlyWrites {
  #writers = new Map<string, Promise<WritableStream<Uint8Array>>>();

  /** Opens the writes of the first `n` of `targets` (none when `open` is false). */
  constructor(dst: Vfs, targets: { to: string; from: FileInfo }[], n: number, open: boolean) {
    if (!open) return;
    for (const { to, from } of targets.slice(0, n)) {
      const writer = dst.openWrite(to, { size: from.size, targetChecked: true });
      writer.catch(() => {}); // the taker sees the failure; one never taken has nothing to undo
      this.#writers.set(to, writer);
    }
  }

  /** The write opened for `to`, handed out once; undefined when there is none (left). */
  take(to: string): Promise<WritableStream<Uint8Array>> | undefined {
    const writer = this.#writers.get(to);
    this.#writers.delete(to);
    return writer;
  }

  /** Aborts the writes nobody took: nothing of them is stored. */
  async abortRest(reason: unknown): Promise<void> {
    const rest = [...this.#writers.values()];
    this.#writers.clear();
    await Promise.all(rest.map(async (w) => {
      try {
        await (await w).abort(reason);
      } catch { /* it failed to open, or is gone already: nothing stored either way */ }
    }));
  }
}
