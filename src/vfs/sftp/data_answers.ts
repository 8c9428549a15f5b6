/**
 * DATA answers to the data path's READs, taken off the SFTP channel before ssh2's SFTP parser
 * sees them and handed on as views of the SSH packets they arrived in.
 *
 * ssh2 assembles every SFTP packet longer than one SSH packet (32 KiB of channel data) into a
 * new buffer: for a download of 255 KiB reads, every byte is allocated and copied once more
 * there, which cost about a fifth of a download's CPU time. Here the channel's bytes are framed
 * into SFTP packets first: a DATA answer to a READ that {@linkcode Answers.expect}s it goes to
 * its caller as the list of pieces it came in (views, no copy); every other packet (and any
 * DATA answer that does not fit what was asked for, or that exceeds the largest packet ssh2
 * takes) goes on to ssh2's parser unchanged, which handles it and its errors as before.
 *
 * The views stay valid: ssh2's deciphers hand on each SSH packet's payload in memory of its own
 * (a fresh buffer per packet, or the socket's chunk, which Deno reads into fresh memory), and
 * never write into it again.
 *
 * @module
 */

import { Buffer } from "node:buffer";

/** SSH_FXP_DATA. */
const DATA = 103;
/** uint32 length, byte type, uint32 request id, uint32 data length. */
const HEAD = 13;

/** Gets the pieces of an answer's data (views, in order), or the error that ended it. */
export type PartsCallback = (err?: Error, parts?: Uint8Array[]) => void;

/** The SFTP channel's incoming bytes, framed, with the DATA answers expected taken off. */
export interface Answers {
  /** Takes the channel's next bytes (null at its end), as ssh2's SFTP `push` does. */
  push(data: Uint8Array | null): void;
  /** The DATA answer to request `id`, of at most `len` bytes, goes to `cb`. */
  expect(id: number, len: number, cb: PartsCallback): void;
  /** Request `id` was answered otherwise (a STATUS, through ssh2). */
  forget(id: number): void;
  /** How many answers were taken off ssh2's parser so far (for tests). */
  readonly taken: number;
}

/**
 * Frames the channel's bytes; what is not taken goes to `forward` (ssh2's own `push`), whole
 * packets only, so its parser always starts at a packet's start. `maxPacket` is the longest
 * packet ssh2 accepts (longer ones are forwarded, and ssh2 fails the channel as before).
 */
export function dataAnswers(
  forward: (data: Buffer | null) => unknown,
  maxPacket: () => number,
): Answers {
  const expected = new Map<number, { len: number; cb: PartsCallback }>();
  /** The current packet's first bytes, held while deciding whose it is. */
  const head = new Uint8Array(HEAD);
  let have = 0;
  /** Where the current packet starts in the chunk being read, or -1 (in an earlier one). */
  let start = -1;
  /** Bytes of the current packet still to forward to ssh2. */
  let pass = 0;
  /** The answer being taken, its data bytes still to come and the bytes after them. */
  let current: { parts: Uint8Array[]; cb: PartsCallback } | undefined;
  let take = 0;
  let skip = 0;
  let taken = 0;

  const view = (d: Uint8Array, at: number, n: number) =>
    at === 0 && n === d.length && d instanceof Buffer
      ? d
      : Buffer.from(d.buffer, d.byteOffset + at, n);

  const finish = () => {
    const c = current!;
    current = undefined;
    taken++;
    c.cb(undefined, c.parts);
  };

  /** The packet in `head` goes to ssh2; answers where in the chunk to go on reading. */
  const forwardPacket = (p: number): number => {
    pass = 4 + readU32(head, 0);
    if (start >= 0) p = start; // its head is in this chunk: forward from there, in one piece
    else {
      forward(Buffer.from(head.subarray(0, have)));
      pass -= have;
    }
    have = 0;
    return p;
  };

  /** Reads the current packet's head from `d` at `p`; answers where reading goes on. */
  const decide = (d: Uint8Array, p: number): number => {
    if (have === 0) start = p;
    while (true) {
      const need = have < 4 ? 4 : have < 5 ? 5 : have < 9 ? 9 : HEAD;
      const n = Math.min(need - have, d.length - p);
      head.set(d.subarray(p, p + n), have);
      have += n;
      p += n;
      if (have < need) return p; // the rest comes in the next chunk
      const len = readU32(head, 0);
      if (need === 4 && (len < HEAD - 4 || len > maxPacket())) return forwardPacket(p);
      if (need === 5 && head[4] !== DATA) return forwardPacket(p);
      if (need === 9 && !expected.has(readU32(head, 5))) return forwardPacket(p);
      if (need === HEAD) {
        const id = readU32(head, 5);
        const size = readU32(head, 9);
        const e = expected.get(id)!;
        // More than was asked for, or than the packet holds: ssh2 parses it as it always has.
        if (size > e.len || size > len - (HEAD - 4)) return forwardPacket(p);
        expected.delete(id);
        current = { parts: [], cb: e.cb };
        take = size;
        skip = len - (HEAD - 4) - size;
        have = 0;
        if (take === 0 && skip === 0) finish();
        return p;
      }
    }
  };

  return {
    push(data) {
      if (data === null) {
        expected.clear();
        const c = current;
        current = undefined;
        forward(null);
        c?.cb(new Error("No response from server"));
        return;
      }
      let p = 0;
      start = -1;
      while (p < data.length) {
        if (pass > 0) {
          const n = Math.min(pass, data.length - p);
          forward(view(data, p, n));
          pass -= n;
          p += n;
        } else if (take > 0) {
          const n = Math.min(take, data.length - p);
          current!.parts.push(data.subarray(p, p + n));
          take -= n;
          p += n;
          if (take === 0 && skip === 0) finish();
        } else if (skip > 0) {
          const n = Math.min(skip, data.length - p);
          skip -= n;
          p += n;
          if (skip === 0) finish();
        } else {
          p = decide(data, p);
        }
      }
    },
    expect(id, len, cb) {
      expected.set(id, { len, cb });
    },
    forget(id) {
      expected.delete(id);
    },
    get taken() {
      return taken;
    },
  };
}

function readU32(b: Uint8Array, at: number): number {
  return ((b[at]! << 24) | (b[at + 1]! << 16) | (b[at + 2]! << 8) | b[at + 3]!) >>> 0;
}
