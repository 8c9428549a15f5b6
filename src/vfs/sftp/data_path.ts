/**
 * SFTP READ and WRITE requests sent past ssh2's `read` and `write`, which copy every byte of
 * file data once more than the transfer needs.
 *
 * ssh2's `write` copies the data into a new SFTP packet, which its channel then copies again
 * into SSH packets; its `read` copies each answer out of the SFTP packet it has just assembled
 * into the caller's buffer. Here a WRITE request goes straight into the SSH packets (its SFTP
 * header and the caller's bytes, one copy), and a READ request is registered without a buffer,
 * so ssh2 hands back a view of the answer it assembled (no copy). The requests share ssh2's
 * request ids and answer handling, so everything else (opens, closes, stats) keeps going
 * through ssh2 on the same channel. The DATA answers to these READs are taken off the channel
 * before ssh2's parser would copy them into one buffer each (see ./data_answers.ts): the caller
 * gets them as the pieces they arrived in. READs asked for in one `readsTogether` share one SSH
 * packet (a channel is a byte stream; the server reads them off it in order).
 *
 * A request leaves only whole and only when the server's window takes all of it and nothing of
 * ssh2's is queued: packets of different requests never interleave on the channel, and the
 * caller's bytes are copied before its `write` resolves (it may reuse them after). A request
 * waits for the window otherwise; every change of the window is watched, so it leaves as soon
 * as the server makes room.
 *
 * Writes keep only as many bytes in the server's window as the link needs, not all the window
 * allows: the bytes a link of {@linkcode LINK_RATE} carries in the connection's shortest round
 * trip seen, and at least {@linkcode MIN_WRITE_AHEAD} (see {@linkcode writeAhead}). Bytes beyond
 * that only wait in the server's buffers, and OpenSSH's sshd pays for a long queue there: a
 * 256 MiB upload on 127.0.0.1 that kept its 2 MiB window full took 3.1 to 3.8 s and 1.6 to 2.0 s
 * of sshd's CPU (half of it in memmove), against 2.3 to 2.7 s and 0.55 to 0.8 s with 0.5 to
 * 1 MiB kept in it. Over a far link the round trip is long and the whole window is used, as
 * before. A write whose requests are all answered always goes, so a server that never gives
 * the whole window back cannot stall it.
 *
 * The channel's incoming window is also kept larger than ssh2's 2 MiB, so that a server never
 * stops sending answers to reads already asked for while the client is busy.
 *
 * These use ssh2's internals (pinned in deno.lock); {@linkcode dataPath} checks that they are
 * there and answers undefined otherwise, and the backend then uses ssh2's own `read`/`write`.
 *
 * @module
 */

import { Buffer } from "node:buffer";
import type { SFTPWrapper } from "./ssh2.ts";
import { type Answers, dataAnswers, type PartsCallback } from "./data_answers.ts";
import { routeChannelData } from "./gcm_decipher.ts";

/** SSH_MSG_CHANNEL_DATA. */
const CHANNEL_DATA = 94;
const SFTP_READ = 5;
const SFTP_WRITE = 6;
const MAX_REQID = 2 ** 32 - 1;

/** The incoming window kept open for answers (ssh2 keeps 2 MiB and refills at half). */
export const INCOMING_WINDOW = 16 * 1024 * 1024;

/** The fastest link written bytes are kept in flight for (bytes per second). */
export const LINK_RATE = 512 * 1024 * 1024;
/**
 * Written bytes the server's window may hold at least, however short the round trip. 1 MiB
 * rather than 512 KiB: with OpenSSH's internal-sftp, fourteen alternating 256 MiB uploads
 * through `aft run` (2026-12-03) took a median 0.91 s against 0.99 s (1 MiB faster in ten),
 * six more 0.93 s against 0.98 s; at 512 KiB every WRITE of a 256 MiB upload waited for the
 * window (1,015 to 1,032 waits, 0.40 to 0.56 s in all).
 */
export const MIN_WRITE_AHEAD = 1024 * 1024;

/**
 * Bytes of writes kept in the server's window (sent, not yet given back) for a connection
 * whose shortest round trip seen is `rttMs`: what a link of {@linkcode LINK_RATE} carries in
 * that time, at least {@linkcode MIN_WRITE_AHEAD}; the minimum while none is known.
 */
export function writeAhead(rttMs: number | undefined): number {
  if (rttMs === undefined || !(rttMs > 0)) return MIN_WRITE_AHEAD;
  return Math.max(MIN_WRITE_AHEAD, Math.ceil(LINK_RATE * rttMs / 1000));
}

/** The error ssh2 gives a request that failed (a STATUS answer carries `code`). */
export type RequestError = Error & { code?: number };

type Callback = (err?: RequestError, data?: Buffer) => void;
/** Gets the pieces of a READ's answer (views, in order), or its error. */
export type ReadCallback = (err?: RequestError, parts?: Uint8Array[]) => void;

interface Outgoing {
  id: number;
  window: number;
  packetSize: number;
  state: string;
}

interface Protocol {
  _kexinit?: unknown;
  _packetRW: {
    write: { allocStart: number; alloc(n: number): Buffer; finalize(p: Buffer): Buffer };
  };
  _cipher: { encrypt(p: Buffer): void };
  channelData(id: number, data: Uint8Array): void;
  channelWindowAdjust(id: number, amount: number): void;
}

/** The parts of ssh2's SFTP object this module uses. */
interface Internals {
  outgoing: Outgoing;
  incoming: { id: number; window: number };
  _client: { _chanMgr: { get(id: number): unknown } };
  _buffer: Uint8Array[];
  _requests: Record<number, { cb: Callback }>;
  _writeReqid: number;
  _maxInPktLen: number;
  _protocol: Protocol;
  push(data: Uint8Array | null): unknown;
}

/** Reads and writes on one SFTP channel. */
export interface DataPath {
  /**
   * Asks for `len` bytes at `pos`; `cb` gets the answer as views of the packets it came in
   * (fewer bytes at the end of the file).
   */
  read(handle: Uint8Array, pos: number, len: number, cb: ReadCallback): void;
  /**
   * Sends a WRITE of `data` at `pos`; `sent` is called once its bytes are copied out (the
   * caller may reuse them), `cb` with the server's answer.
   */
  write(handle: Uint8Array, pos: number, data: Uint8Array, sent: () => void, cb: Callback): void;
  /**
   * Runs `fn`; the READs it asks for that may leave at once (the window takes them) leave
   * together at its end, in one SSH packet where the server's packet size allows, in order.
   */
  readsTogether(fn: () => void): void;
  /**
   * Tells the round trip of a request on this channel (ms), such as a file's OPEN: the
   * shortest one seen sets how many written bytes are kept in flight (see `writeAhead`).
   */
  roundTrip(ms: number): void;
  /** Written bytes the server's window holds now (sent, not yet given back; for tests). */
  readonly unacked: number;
  /** Drops requests still waiting for the window (the connection is gone). */
  clear(): void;
  /** The channel's framing of DATA answers (its count of answers taken, for tests). */
  readonly answers: Answers;
}

const paths = new WeakMap<object, DataPath | null>();

/** The data path of an SFTP channel, or undefined where ssh2's internals are not as expected. */
export function dataPath(sftp: SFTPWrapper): DataPath | undefined {
  let path = paths.get(sftp);
  if (path === undefined) {
    path = usable(sftp) ? create(sftp as unknown as Internals) : null;
    paths.set(sftp, path);
  }
  return path ?? undefined;
}

/**
 * One READ of `len` bytes at `pos` of `handle`: through the data path where it serves, else
 * through ssh2's own `read` into a buffer of our own (one piece).
 */
export function readParts(
  sftp: SFTPWrapper,
  handle: Uint8Array,
  pos: number,
  len: number,
  cb: ReadCallback,
): void {
  const fast = dataPath(sftp);
  if (fast) return fast.read(handle, pos, len, cb);
  const h = Buffer.from(handle.buffer, handle.byteOffset, handle.length);
  const buf = Buffer.allocUnsafe(len);
  sftp.read(h, buf, 0, len, pos, (err, n) => cb(err ?? undefined, [buf.subarray(0, n)]));
}

/** Runs `fn`; the READs it asks for leave together where the data path serves (see DataPath). */
export function readsTogether(sftp: SFTPWrapper, fn: () => void): void {
  const fast = dataPath(sftp);
  if (fast) fast.readsTogether(fn);
  else fn();
}

function usable(sftp: SFTPWrapper): boolean {
  const s = sftp as unknown as Partial<Internals>;
  const o = s.outgoing;
  const p = s._protocol;
  const w = p?._packetRW?.write;
  const windowProp = o && Object.getOwnPropertyDescriptor(o, "window");
  return !!o && typeof o.id === "number" && typeof o.packetSize === "number" &&
    typeof windowProp?.value === "number" && windowProp.writable === true &&
    windowProp.configurable === true && typeof s.incoming?.window === "number" &&
    Array.isArray(s._buffer) && typeof s._requests === "object" &&
    typeof s._writeReqid === "number" && typeof s._maxInPktLen === "number" &&
    typeof s.incoming?.id === "number" && typeof s._client?._chanMgr?.get === "function" &&
    typeof s.push === "function" && !!w &&
    typeof w.allocStart === "number" && typeof w.alloc === "function" &&
    typeof w.finalize === "function" && typeof p?._cipher?.encrypt === "function" &&
    typeof p.channelData === "function" && typeof p.channelWindowAdjust === "function";
}

function writeU32(b: Uint8Array, v: number, at: number): void {
  b[at] = v >>> 24;
  b[at + 1] = v >>> 16;
  b[at + 2] = v >>> 8;
  b[at + 3] = v;
}

function writeU64(b: Uint8Array, v: number, at: number): void {
  writeU32(b, Math.floor(v / 2 ** 32), at);
  writeU32(b, v >>> 0, at + 4);
}

function create(s: Internals): DataPath {
  const out = s.outgoing;
  const proto = s._protocol;
  /** Sends waiting for room in the window, in order. */
  const waiting: { need: number; write: boolean; send: () => void }[] = [];
  let window = out.window;
  let widest = window;
  let flushing = false;
  /** The shortest round trip seen (ms), and WRITEs sent and not yet answered. */
  let rtt: number | undefined;
  let unanswered = 0;

  const flush = () => {
    flushing = false;
    while (waiting.length > 0 && fits(waiting[0]!.need, waiting[0]!.write)) {
      waiting.shift()!.send();
    }
  };
  const flushSoon = () => {
    if (waiting.length === 0 || flushing) return;
    flushing = true;
    queueMicrotask(flush); // after ssh2 has drained its own queue with the new room
  };
  // Every change of the window passes here: a WINDOW_ADJUST lets waiting requests go.
  Object.defineProperty(out, "window", {
    configurable: true,
    enumerable: true,
    get: () => window,
    set: (v: number) => {
      const grew = v > window;
      window = v;
      if (v > widest) widest = v;
      if (grew) flushSoon();
    },
  });

  /**
   * Whether `need` bytes may leave now: the window takes them, and for a write, the bytes
   * kept in the window stay within `writeAhead` unless every write is answered.
   */
  const fits = (need: number, write: boolean) =>
    out.state === "open" && s._buffer.length === 0 && window >= need &&
    (!write || unanswered === 0 || widest - window + need <= writeAhead(rtt));

  /** Runs `send` now if `need` bytes may leave, else once they may. */
  const whenRoom = (need: number, write: boolean, send: () => void) => {
    if (waiting.length === 0 && fits(need, write)) send();
    else waiting.push({ need, write, send });
  };
  const roundTrip = (ms: number) => {
    if (ms >= 0 && (rtt === undefined || ms < rtt)) rtt = ms;
  };

  // The incoming window: topped up before ssh2 would (it refills to 2 MiB below 1 MiB).
  const answers = dataAnswers(s.push.bind(s), () => s._maxInPktLen);
  s.push = (data) => {
    answers.push(data);
    const have = s.incoming.window;
    if (data !== null && have < INCOMING_WINDOW / 2 && out.state === "open") {
      s.incoming.window = INCOMING_WINDOW;
      proto.channelWindowAdjust(out.id, INCOMING_WINDOW - have);
    }
  };
  // Channel data that ./gcm_decipher.ts deciphered comes here as the pieces it arrived in,
  // past ssh2's channel handler, which takes one buffer (its window count is kept here).
  const id = s.incoming.id;
  routeChannelData(proto, id, (pieces, total) => {
    if (s._client._chanMgr.get(id) !== s) return false;
    if (s.incoming.window === 0) return true; // past the window: dropped, as ssh2 does
    s.incoming.window -= total;
    for (const p of pieces) s.push(p);
    return true;
  });
  if (out.state === "open" && s.incoming.window < INCOMING_WINDOW) {
    proto.channelWindowAdjust(out.id, INCOMING_WINDOW - s.incoming.window);
    s.incoming.window = INCOMING_WINDOW;
  }

  const nextId = () => (s._writeReqid = (s._writeReqid + 1) & MAX_REQID) >>> 0;

  /** READ requests held while `readsTogether` runs (their window already taken). */
  let held: Uint8Array[] | undefined;

  /**
   * Sends `head` then `body` as one channel payload (the window has room), or holds a READ
   * (no body) for the end of `readsTogether`.
   */
  const send = (head: Uint8Array, body: Uint8Array) => {
    if (held && body.length === 0) {
      held.push(head);
      window -= head.length;
      return;
    }
    frame(head, body);
    window -= head.length + body.length;
  };

  /** Puts `head` then `body` on the channel in SSH packets of the server's size. */
  const frame = (head: Uint8Array, body: Uint8Array) => {
    const total = head.length + body.length;
    let at = 0;
    while (at < total) {
      const n = Math.min(total - at, out.packetSize);
      if (proto._kexinit !== undefined) {
        // A key exchange is under way: ssh2 queues packets until it ends; let it frame them.
        const piece = new Uint8Array(n);
        copyRange(head, body, at, piece, 0, n);
        proto.channelData(out.id, piece);
      } else {
        const w = proto._packetRW.write;
        const p = w.allocStart;
        const packet = w.alloc(9 + n);
        packet[p] = CHANNEL_DATA;
        writeU32(packet, out.id, p + 1);
        writeU32(packet, n, p + 5);
        copyRange(head, body, at, packet, p + 9, n);
        proto._cipher.encrypt(w.finalize(packet));
      }
      at += n;
    }
  };

  return {
    read(handle, pos, len, cb) {
      const head = new Uint8Array(4 + 1 + 4 + 4 + handle.length + 8 + 4);
      whenRoom(head.length, false, () => {
        const id = nextId();
        writeU32(head, head.length - 4, 0);
        head[4] = SFTP_READ;
        writeU32(head, id, 5);
        writeU32(head, handle.length, 9);
        head.set(handle, 13);
        writeU64(head, pos, 13 + handle.length);
        writeU32(head, len, 21 + handle.length);
        const done: PartsCallback = (err, parts) => {
          answers.forget(id);
          cb(err, parts);
        };
        // ssh2 gets a STATUS (EOF, an error), or a DATA answer the framing does not take.
        s._requests[id] = { cb: (err, data) => done(err, data ? [data] : undefined) };
        answers.expect(id, len, (err, parts) => {
          delete s._requests[id];
          done(err, parts);
        });
        send(head, EMPTY);
      });
    },
    write(handle, pos, data, sent, cb) {
      const head = new Uint8Array(4 + 1 + 4 + 4 + handle.length + 8 + 4);
      const need = head.length + data.length;
      const go = () => {
        const id = nextId();
        writeU32(head, need - 4, 0);
        head[4] = SFTP_WRITE;
        writeU32(head, id, 5);
        writeU32(head, handle.length, 9);
        head.set(handle, 13);
        writeU64(head, pos, 13 + handle.length);
        writeU32(head, data.length, 21 + handle.length);
        const t0 = performance.now();
        unanswered++;
        s._requests[id] = {
          cb: (err, data) => {
            unanswered--;
            roundTrip(performance.now() - t0);
            flushSoon(); // the write-ahead may have room now
            cb(err, data);
          },
        };
        send(head, data);
        sent();
      };
      // A request wider than the server's window has ever been would wait forever: such a
      // server (OpenSSH's window is 2 MiB) gets ssh2's own write, which queues pieces.
      if (need > widest) {
        slowWrite(s as unknown as SFTPWrapper, handle, pos, data, cb);
        sent();
        return;
      }
      whenRoom(need, true, go);
    },
    readsTogether(fn) {
      if (held) return fn();
      const heads: Uint8Array[] = held = [];
      try {
        fn();
      } finally {
        held = undefined;
        if (heads.length > 0) frame(heads.length === 1 ? heads[0]! : Buffer.concat(heads), EMPTY);
      }
    },
    roundTrip,
    get unacked() {
      return widest - window;
    },
    clear() {
      waiting.length = 0;
    },
    answers,
  };
}

const EMPTY = new Uint8Array(0);

/** Copies `n` bytes from offset `at` of `head` followed by `body` into `dst` at `to`. */
function copyRange(
  head: Uint8Array,
  body: Uint8Array,
  at: number,
  dst: Uint8Array,
  to: number,
  n: number,
): void {
  if (at < head.length) {
    const k = Math.min(n, head.length - at);
    dst.set(head.subarray(at, at + k), to);
    to += k;
    n -= k;
    at += k;
  }
  if (n > 0) {
    const from = at - head.length;
    dst.set(body.subarray(from, from + n), to);
  }
}

/** ssh2's own write, of a copy (it queues what the window does not take, and may read late). */
function slowWrite(
  sftp: SFTPWrapper,
  handle: Uint8Array,
  pos: number,
  data: Uint8Array,
  cb: Callback,
): void {
  const h = Buffer.from(handle.buffer, handle.byteOffset, handle.length);
  sftp.write(h, Buffer.from(data), 0, data.length, pos, (err) => cb(err ?? undefined));
}
