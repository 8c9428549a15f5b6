/**
 * A watch on the calls and streams of a store client that has no idle limit of its own and
 * takes no connection pool from us (GCS's: on Deno its HTTP layer, `node-fetch` 3, ignores the
 * `timeout` the library passes, so a server that took the connection and answered nothing held
 * a stat for ever). A call that has not answered, a read that has not given its next chunk, a
 * write the client has not taken, or a close not done within `ms` fails with TIMEOUT.
 *
 * Coarser than a connection's idle timeout (`../idle_agent.ts`): it sees answers and chunks,
 * not bytes, so one call that legitimately takes longer than `ms` with nothing to show fails
 * too (none of the GCS calls aft makes does: a copy within one bucket is one quick rewrite).
 * What the client still waits on is cancelled where the client allows it (a read stream, an
 * upload); a plain call is left to end when the server closes its connection.
 *
 * @module
 */

import { VfsError } from "../types.ts";
import type { ObjectSink } from "./store.ts";

/** Fails calls and stream steps of one store client that take longer than `ms`. */
export class IdleWatch {
  /**
   * `ms`: the `idleTimeoutSeconds` option in ms; `service`: the store as named in errors
   * ("GCS").
   */
  constructor(readonly ms: number, readonly service: string) {}

  /** The error of a step that took too long; `what` says which ("reading "a/b.txt""). */
  error(what: string): VfsError {
    return new VfsError(
      "TIMEOUT",
      `${this.service} made no progress for ${
        this.ms / 1000
      } s while ${what} (the idleTimeoutSeconds option)`,
    );
  }

  /** `p`, or a TIMEOUT once it has waited `ms`. */
  call<T>(what: string, p: Promise<T>): Promise<T> {
    let timer: ReturnType<typeof setTimeout> | undefined;
    const expired = new Promise<never>((_, reject) => {
      timer = setTimeout(() => reject(this.error(what)), this.ms);
    });
    // The race handles a late failure of `p`.
    return Promise.race([p, expired]).finally(() => clearTimeout(timer));
  }

  /** `src`, failing (and cancelling `src`) when its next chunk takes longer than `ms`. */
  read(what: string, src: ReadableStream<Uint8Array>): ReadableStream<Uint8Array> {
    const reader = src.getReader();
    return new ReadableStream<Uint8Array>({
      pull: async (c) => {
        let r: ReadableStreamReadResult<Uint8Array>;
        try {
          r = await this.call(what, reader.read());
        } catch (err) {
          if (err instanceof VfsError && err.code === "TIMEOUT") {
            reader.cancel(err).catch(() => {});
          }
          throw err;
        }
        if (r.done) c.close();
        else c.enqueue(r.value);
      },
      cancel: (reason) => reader.cancel(reason).catch(() => {}),
    }, { highWaterMark: 0 });
  }

  /** `sink`, aborted and failing when a write or its close takes longer than `ms`. */
  sink(what: string, sink: ObjectSink): ObjectSink {
    const watched = async (p: Promise<void>) => {
      try {
        await this.call(what, p);
      } catch (err) {
        // Not awaited: a stream's abort waits for the write under way, which may never end.
        if (err instanceof VfsError && err.code === "TIMEOUT") sink.abort(err).catch(() => {});
        throw err;
      }
    };
    return {
      write: (chunk) => watched(sink.write(chunk)),
      close: () => watched(sink.close()),
      abort: (reason) => sink.abort(reason),
    };
  }
}
