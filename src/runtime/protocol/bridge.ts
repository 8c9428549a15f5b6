/**
 * The synchronous bridge between a script's Worker and its host (the runner process).
 *
 * The worker posts a call with `postMessage` and blocks in `Atomics.wait` on a
 * SharedArrayBuffer until the host has written the reply there. Replies larger than the
 * data area go in chunks: the host writes a chunk and flags it READY, the worker copies it
 * and flags WAITING, and so on. Every wait is finite and re-checks its condition, so a host
 * that dies can never leave the worker blocked for good.
 *
 * Values may contain `Uint8Array`s; they travel as raw bytes after the JSON (see
 * {@linkcode encodeValue}).
 *
 * @module
 */

/** Int32 slots at the start of the buffer. */
export const STATE = 0;
export const LEN = 1;
export const MORE = 2;
/** 1 once a halt was requested. */
export const HALT = 3;
/** Bumped by the host on halt and on each event it queues, so waiters wake. */
export const SIGNAL = 4;
/** Total size of the reply being sent. */
export const TOTAL = 5;
/** Events queued by the host and not yet taken by the script. */
export const EVENTS = 6;
/** Log messages the host has passed on (a running count, wrapping at 2^32). */
export const LOG_ACKED = 7;

export const IDLE = 0;
export const WAITING = 1;
export const READY = 2;

const HEADER_BYTES = 64;
/** Size of the data area; larger replies are chunked. */
export const CHUNK_BYTES = 1024 * 1024;

/** The shared buffer of one worker. */
export function createSharedBuffer(): SharedArrayBuffer {
  return new SharedArrayBuffer(HEADER_BYTES + CHUNK_BYTES);
}

/** Views over a shared buffer. */
export function views(sab: SharedArrayBuffer): { ctrl: Int32Array; data: Uint8Array } {
  return {
    ctrl: new Int32Array(sab, 0, HEADER_BYTES / 4),
    data: new Uint8Array(sab, HEADER_BYTES),
  };
}

const encoder = new TextEncoder();
const decoder = new TextDecoder();

/**
 * Encodes a JSON-like value whose leaves may be `Uint8Array`s: a 4-byte JSON length, the
 * JSON (byte arrays replaced by `{"$b":[offset,length]}`), then the bytes.
 */
export function encodeValue(value: unknown): Uint8Array {
  const blobs: Uint8Array[] = [];
  let offset = 0;
  const json = JSON.stringify(value, function (_key, v) {
    if (v instanceof Uint8Array) {
      blobs.push(v);
      const ref = { $b: [offset, v.length] };
      offset += v.length;
      return ref;
    }
    return v;
  }) ?? "null";
  const head = encoder.encode(json);
  const out = new Uint8Array(4 + head.length + offset);
  new DataView(out.buffer).setUint32(0, head.length);
  out.set(head, 4);
  let at = 4 + head.length;
  for (const b of blobs) {
    out.set(b, at);
    at += b.length;
  }
  return out;
}

/** Where decoded values are made: another realm's `JSON.parse` and `Uint8Array`. */
export interface DecodeRealm {
  parse(text: string, reviver: (key: string, value: unknown) => unknown): unknown;
  Uint8Array: Uint8ArrayConstructor;
}

/**
 * Decodes what {@linkcode encodeValue} produced; with `realm`, its objects, arrays and byte
 * arrays are that realm's (a script's context, whose `Array` is not the Worker's).
 */
export function decodeValue(bytes: Uint8Array, realm?: DecodeRealm): unknown {
  const len = new DataView(bytes.buffer, bytes.byteOffset, 4).getUint32(0);
  const json = decoder.decode(bytes.subarray(4, 4 + len));
  const base = 4 + len;
  const reviver = (_key: string, v: unknown) => {
    if (
      v && typeof v === "object" && !Array.isArray(v) && Array.isArray((v as { $b: unknown }).$b)
    ) {
      const [off, n] = (v as { $b: [number, number] }).$b;
      const part = bytes.subarray(base + off, base + off + n);
      if (!realm) return part.slice();
      const out = new realm.Uint8Array(n);
      out.set(part);
      return out;
    }
    return v;
  };
  return realm ? realm.parse(json, reviver) : JSON.parse(json, reviver);
}

/**
 * Host side: writes `payload` to the worker, chunk by chunk, waiting for the worker to take
 * each chunk. Resolves when the last chunk is flagged READY.
 */
export async function writeReply(sab: SharedArrayBuffer, payload: Uint8Array): Promise<void> {
  const { ctrl, data } = views(sab);
  Atomics.store(ctrl, TOTAL, payload.length);
  let off = 0;
  for (;;) {
    const n = Math.min(CHUNK_BYTES, payload.length - off);
    data.set(payload.subarray(off, off + n));
    off += n;
    Atomics.store(ctrl, LEN, n);
    Atomics.store(ctrl, MORE, off < payload.length ? 1 : 0);
    Atomics.store(ctrl, STATE, READY);
    Atomics.notify(ctrl, STATE);
    if (off >= payload.length) return;
    // Wait for the worker to take the chunk (it sets WAITING again).
    while (Atomics.load(ctrl, STATE) === READY) {
      const r = Atomics.waitAsync(ctrl, STATE, READY, 1000);
      if (r.async) await r.value;
    }
  }
}

/**
 * Worker side: blocks until the whole reply has arrived and returns its bytes. `alive()` is
 * consulted on every timed-out wait; when it returns false the wait gives up with an error.
 */
export function readReply(sab: SharedArrayBuffer, alive: () => boolean): Uint8Array {
  const { ctrl, data } = views(sab);
  let out: Uint8Array | undefined;
  let at = 0;
  for (;;) {
    while (Atomics.load(ctrl, STATE) !== READY) {
      if (Atomics.wait(ctrl, STATE, WAITING, 200) === "timed-out" && !alive()) {
        throw new Error("The host stopped answering");
      }
    }
    const n = Atomics.load(ctrl, LEN);
    out ??= new Uint8Array(Atomics.load(ctrl, TOTAL));
    out.set(data.subarray(0, n), at);
    at += n;
    const more = Atomics.load(ctrl, MORE) === 1;
    if (!more) {
      Atomics.store(ctrl, STATE, IDLE);
      return out;
    }
    Atomics.store(ctrl, STATE, WAITING);
    Atomics.notify(ctrl, STATE);
  }
}
