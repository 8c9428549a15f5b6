/**
 * A Worker of the deflate pool (zip_deflate.ts): deflates one block at a time at level 6, as raw
 * deflate ending in a sync flush (byte-aligned, not final) or, for an entry's last block, a
 * finish. The input's buffer comes back with the result, for the next block to reuse. Runs
 * with no permissions; it only computes.
 *
 * @module
 */

import { constants, deflateRawSync } from "node:zlib";

/** A block to deflate: the input's first `length` bytes of `buf`, the output into `out`. */
export interface BlockRequest {
  id: number;
  buf: ArrayBuffer;
  length: number;
  /** Where the output goes (see outputRoom); both buffers come back with the reply. */
  out: ArrayBuffer;
  last: boolean;
}

/** A deflated block: the first `length` bytes of `out`; both buffers given back. */
export interface BlockReply {
  id: number;
  buf: ArrayBuffer;
  out: ArrayBuffer;
  length: number;
  error?: string;
}

/** Room for the deflated form of `n` bytes, whatever they are (stored blocks included). */
export function outputRoom(n: number): number {
  return n + (n >> 6) + 1024;
}

/** Deflates `data` as one block of a longer raw deflate stream. */
export function deflateBlock(data: Uint8Array, last: boolean): Uint8Array {
  return deflateRawSync(data, {
    level: 6,
    // One output chunk that holds the whole result: the default 16 KiB chunks, joined at the
    // end, left about 30 MiB more garbage behind per 128 MiB (peak RSS 112 against 78 MiB).
    chunkSize: Math.max(64, outputRoom(data.length)),
    finishFlush: last ? constants.Z_FINISH : constants.Z_SYNC_FLUSH,
  });
}

/**
 * Frees the memory behind a result of deflateBlock now. Without this each thread that deflates
 * kept about 40 MiB of dead results until V8's next full collection (128 MiB in 1 MiB blocks:
 * peak RSS 85 MiB, with it 46 MiB). Only a buffer of 64 KiB or more is detached: Buffer's
 * shared pool (8 KiB) is never one, and node:zlib's sync call closed its engine, so nothing
 * else holds it.
 */
export function release(z: Uint8Array): void {
  const b = z.buffer;
  if (b instanceof ArrayBuffer && b.byteLength >= 65536 && !b.detached) b.transfer(0);
}

/** Deflates `data` into `out` (a larger buffer when it does not fit); see BlockReply. */
export function deflateInto(
  data: Uint8Array,
  out: ArrayBuffer,
  last: boolean,
): { out: ArrayBuffer; length: number } {
  const z = deflateBlock(data, last);
  const length = z.length; // release() empties z
  const into = length > out.byteLength ? new ArrayBuffer(length) : out;
  new Uint8Array(into).set(z);
  release(z);
  return { out: into, length };
}

const scope = globalThis as unknown as {
  onmessage: ((e: MessageEvent<BlockRequest>) => void) | null;
  postMessage(msg: BlockReply, transfer: Transferable[]): void;
  WorkerGlobalScope?: unknown;
};

if (typeof scope.WorkerGlobalScope !== "undefined") {
  scope.onmessage = ({ data: req }) => {
    const reply: BlockReply = { id: req.id, buf: req.buf, out: req.out, length: 0 };
    try {
      // Into the buffer main gave (it comes back and is reused): main allocates no memory
      // per block for what the Workers return.
      const r = deflateInto(new Uint8Array(req.buf, 0, req.length), req.out, req.last);
      reply.out = r.out;
      reply.length = r.length;
    } catch (err) {
      reply.error = String(err);
    }
    scope.postMessage(reply, [reply.buf, reply.out]);
  };
}
