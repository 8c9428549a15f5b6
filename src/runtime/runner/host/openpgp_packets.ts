/**
 * Reading OpenPGP packets from a byte stream (RFC 4880 section 4.2): headers in the old and the
 * new format, and bodies of fixed, partial (new format) or indeterminate (old format) length,
 * handed out as views of the chunks read, without copying.
 *
 * @module
 */

import { joinBytes } from "../../../bytes.ts";

/** Pulls bytes from an async source; hands out views of its chunks. */
export class ByteReader {
  #it: AsyncIterator<Uint8Array>;
  #buf: Uint8Array = new Uint8Array(0);
  #done = false;

  constructor(source: AsyncIterable<Uint8Array>) {
    this.#it = source[Symbol.asyncIterator]();
  }

  /** Up to `max` bytes (at least one), or null at the end of the source. */
  async some(max: number): Promise<Uint8Array | null> {
    while (this.#buf.length === 0) {
      if (this.#done) return null;
      const r = await this.#it.next();
      if (r.done) this.#done = true;
      else this.#buf = r.value;
    }
    const n = Math.min(max, this.#buf.length);
    const out = this.#buf.subarray(0, n);
    this.#buf = this.#buf.subarray(n);
    return out;
  }

  /** Exactly `n` bytes (copied when they span chunks); throws at a premature end. */
  async exact(n: number): Promise<Uint8Array> {
    const first = await this.some(n);
    if (first?.length === n) return first;
    const out = new Uint8Array(n);
    let got = 0;
    for (let part = first; got < n; part = await this.some(n - got)) {
      if (part === null) throw new Error("The message ends early: a packet is cut short");
      out.set(part, got);
      got += part.length;
    }
    return out;
  }

  /** One byte, or null at the end of the source. */
  async byte(): Promise<number | null> {
    const b = await this.some(1);
    return b === null ? null : b[0]!;
  }

  /** Whether the source has no more bytes. */
  async atEnd(): Promise<boolean> {
    if (this.#buf.length > 0) return false;
    const b = await this.some(1);
    if (b === null) return true;
    this.#buf = joinBytes([b, this.#buf]);
    return false;
  }
}

/** How a packet's body is delimited. */
type Length =
  | { kind: "fixed"; n: number }
  | { kind: "partial"; n: number }
  | { kind: "rest" };

/** A packet: its tag and its body (read it to the end before the next packet). */
export interface Packet {
  tag: number;
  body: AsyncGenerator<Uint8Array>;
}

async function newLength(r: ByteReader): Promise<Length> {
  const o1 = await r.byte();
  if (o1 === null) throw new Error("The message ends early: a packet length is cut short");
  if (o1 < 192) return { kind: "fixed", n: o1 };
  if (o1 < 224) {
    const o2 = (await r.exact(1))[0]!;
    return { kind: "fixed", n: ((o1 - 192) << 8) + o2 + 192 };
  }
  if (o1 === 255) return { kind: "fixed", n: be32(await r.exact(4)) };
  return { kind: "partial", n: 1 << (o1 & 0x1f) };
}

function be32(b: Uint8Array): number {
  return ((b[0]! << 24) | (b[1]! << 16) | (b[2]! << 8) | b[3]!) >>> 0;
}

/** The next packet's header, or null at the end of the source. */
export async function nextPacket(r: ByteReader): Promise<Packet | null> {
  const b = await r.byte();
  if (b === null) return null;
  if ((b & 0x80) === 0) throw new Error(`The data is not an OpenPGP packet: byte 0x${hex(b)}`);
  let tag: number;
  let len: Length;
  if (b & 0x40) {
    tag = b & 0x3f;
    len = await newLength(r);
  } else {
    tag = (b >> 2) & 0x0f;
    const type = b & 3;
    if (type === 3) len = { kind: "rest" };
    else {
      const o = await r.exact(1 << type);
      len = { kind: "fixed", n: type === 0 ? o[0]! : type === 1 ? (o[0]! << 8) | o[1]! : be32(o) };
    }
  }
  return { tag, body: body(r, len) };
}

function hex(b: number): string {
  return b.toString(16).padStart(2, "0");
}

async function* body(r: ByteReader, len: Length): AsyncGenerator<Uint8Array> {
  for (;;) {
    if (len.kind === "rest") {
      for (let p = await r.some(1 << 20); p !== null; p = await r.some(1 << 20)) yield p;
      return;
    }
    let left = len.n;
    while (left > 0) {
      const p = await r.some(left);
      if (p === null) throw new Error("The message ends early: a packet is cut short");
      left -= p.length;
      yield p;
    }
    if (len.kind === "fixed") return;
    len = await newLength(r);
  }
}

/** Reads a packet body to its end, keeping nothing. */
export async function skip(body: AsyncIterable<Uint8Array>): Promise<void> {
  for await (const _ of body) { /* dropped */ }
}

/** Reads a whole (small) packet body. */
export async function readAll(body: AsyncIterable<Uint8Array>, max: number): Promise<Uint8Array> {
  let out: Uint8Array = new Uint8Array(0);
  for await (const p of body) {
    if (out.length + p.length > max) throw new Error(`A packet is larger than ${max} bytes`);
    out = joinBytes([out, p]);
  }
  return out;
}

/** A packet header (new format, final length) for a body of `n` bytes. */
export function header(tag: number, n: number): Uint8Array {
  if (n < 192) return Uint8Array.of(0xc0 | tag, n);
  if (n < 8384) return Uint8Array.of(0xc0 | tag, ((n - 192) >> 8) + 192, (n - 192) & 0xff);
  return Uint8Array.of(0xc0 | tag, 0xff, n >>> 24, (n >>> 16) & 0xff, (n >>> 8) & 0xff, n & 0xff);
}
