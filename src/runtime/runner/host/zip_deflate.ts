/**
 * Parallel deflate of a large zip entry, pigz-style: the entry is cut into blocks, each block is
 * deflated on its own (raw deflate ending in a sync flush, so it is byte-aligned and not final),
 * and the outputs, in order, make one valid deflate stream. Blocks go round-robin to lanes: a few
 * Workers (zip_deflate_worker.ts, no permissions) and this thread, which takes a share inline.
 *
 * Deno's node:zlib ignores the `dictionary` option of deflateRawSync (tested: a block primed
 * with the previous 16 KiB, equal to it, came out as large as without), so blocks are not primed
 * with the previous block's last 32 KiB as pigz does: each block starts with an empty window.
 * With blocks of 1 MiB this costs little (the first bytes of each block cannot refer back).
 *
 * @module
 */

import { type BlockReply, type BlockRequest, deflateInto } from "./zip_deflate_worker.ts";

const WORKER_URL = new URL("./zip_deflate_worker.ts", import.meta.url);

/** A deflated block, and both buffers of the request, free for the next block. */
export interface Deflated {
  data: Uint8Array;
  buf: ArrayBuffer;
  out: ArrayBuffer;
}

interface Pending {
  resolve: (d: Deflated) => void;
  reject: (err: Error) => void;
}

let live = 0;

/** Deflate Workers running now, in this thread (tests check that a halt leaves none). */
export function liveDeflateWorkers(): number {
  return live;
}

/** How many Workers a pool starts here: one less than the cores (this thread is a lane), 1..3. */
export function defaultWorkers(): number {
  return Math.max(1, Math.min(3, (navigator.hardwareConcurrency || 2) - 1));
}

/** Workers (started on first use) plus this thread, taking blocks in turn. */
export class DeflatePool {
  readonly #count: number;
  #workers: Worker[] = [];
  #pending = new Map<number, Pending>();
  #id = 0;
  #turn = 0;
  #failed: Error | undefined;
  readonly #mainLane: boolean;

  /**
   * `workers` Workers (0: everything inline); `mainLane`: this thread deflates a share too
   * (always when there are no Workers).
   */
  constructor(workers = defaultWorkers(), mainLane = true) {
    this.#count = workers;
    this.#mainLane = mainLane || workers === 0;
  }

  /** Lanes: the Workers and, when it takes a share, this thread. */
  get lanes(): number {
    return this.#count + (this.#mainLane ? 1 : 0);
  }

  /**
   * Deflates `data` (a view from offset 0 of its buffer) into `out` (outputRoom(data.length)
   * bytes or more); both buffers move to a Worker and come back with the result.
   */
  deflate(data: Uint8Array, out: ArrayBuffer, last: boolean): Promise<Deflated> {
    if (this.#failed) return Promise.reject(this.#failed);
    const buf = data.buffer as ArrayBuffer;
    const lane = this.#turn;
    this.#turn = (this.#turn + 1) % this.lanes;
    if (lane === this.#count && this.#mainLane) {
      try {
        const r = deflateInto(data, out, last);
        return Promise.resolve({ data: new Uint8Array(r.out, 0, r.length), buf, out: r.out });
      } catch (err) {
        return Promise.reject(err);
      }
    }
    const worker = this.#worker(lane % this.#count);
    const id = ++this.#id;
    const req: BlockRequest = { id, buf, length: data.length, out, last };
    return new Promise<Deflated>((resolve, reject) => {
      this.#pending.set(id, { resolve, reject });
      worker.postMessage(req, [buf, out]);
    });
  }

  #worker(i: number): Worker {
    let w = this.#workers[i];
    if (w) return w;
    w = new Worker(WORKER_URL, {
      type: "module",
      name: "aft-deflate",
      deno: { permissions: "none" },
    });
    w.onmessage = ({ data }: MessageEvent<BlockReply>) => {
      const p = this.#pending.get(data.id);
      if (!p) return;
      this.#pending.delete(data.id);
      if (data.error !== undefined) p.reject(new Error(`Deflate failed: ${data.error}`));
      else {
        p.resolve({ data: new Uint8Array(data.out, 0, data.length), buf: data.buf, out: data.out });
      }
    };
    w.onerror = (e: ErrorEvent) => {
      e.preventDefault();
      this.#fail(new Error(`The deflate Worker failed: ${e.message}`));
    };
    this.#workers[i] = w;
    live++;
    return w;
  }

  #fail(err: Error): void {
    this.#failed ??= err;
    for (const p of this.#pending.values()) p.reject(err);
    this.#pending.clear();
  }

  /** Stops the Workers; blocks still out fail. */
  close(): void {
    for (const w of this.#workers) {
      if (!w) continue;
      w.terminate();
      live--;
    }
    this.#workers = [];
    this.#fail(new Error("The deflate pool was closed"));
  }
}
