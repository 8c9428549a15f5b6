/**
 * The SSH binary encoding (RFC 4251 section 5): bytes, booleans, uint32, uint64, strings,
 * mpints and name-lists, written into a growing buffer and read from a view. SFTP (draft-ietf-
 * secsh-filexfer-02) uses the same encoding.
 *
 * A reader never reads past its buffer: a field that would end beyond it throws
 * {@linkcode WireError}, which the transport turns into a protocol error and a closed
 * connection, never a wrong value.
 *
 * @example
 * ```ts
 * const w = new SshWriter();
 * w.byte(5).string("ssh-userauth");
 * const r = new SshReader(w.finish());
 * r.byte(); // 5
 * r.text(); // "ssh-userauth"
 * ```
 *
 * @module
 */

const utf8 = new TextEncoder();
const fromUtf8 = new TextDecoder("utf-8", { fatal: false });

/** A field that does not fit in what was received, or a value out of range. */
export class WireError extends Error {
  override name = "WireError";
}

/** Builds one message. Each method appends a field and returns the writer. */
export class SshWriter {
  #buf: Uint8Array;
  #view: DataView;
  #len = 0;

  constructor(size = 256) {
    this.#buf = new Uint8Array(size);
    this.#view = new DataView(this.#buf.buffer);
  }

  /** Bytes written so far. */
  get length(): number {
    return this.#len;
  }

  #room(n: number): number {
    const at = this.#len;
    if (at + n > this.#buf.length) {
      const next = new Uint8Array(Math.max(this.#buf.length * 2, at + n + 64));
      next.set(this.#buf.subarray(0, at));
      this.#buf = next;
      this.#view = new DataView(next.buffer);
    }
    this.#len = at + n;
    return at;
  }

  // Each field takes its room first: `#room` may replace the buffer, so the buffer is read
  // only after it (`this.#buf[this.#room(1)]` would write into the old one).
  byte(n: number): this {
    const at = this.#room(1);
    this.#buf[at] = n;
    return this;
  }

  bool(b: boolean): this {
    return this.byte(b ? 1 : 0);
  }

  u32(n: number): this {
    if (!Number.isInteger(n) || n < 0 || n > 0xffff_ffff) {
      throw new WireError(`Not a uint32: ${n}`);
    }
    const at = this.#room(4);
    this.#view.setUint32(at, n);
    return this;
  }

  u64(n: number | bigint): this {
    const v = BigInt(n);
    if (v < 0n || v > 0xffff_ffff_ffff_ffffn) throw new WireError(`Not a uint64: ${n}`);
    const at = this.#room(8);
    this.#view.setBigUint64(at, v);
    return this;
  }

  /** Bytes as they are, without a length. */
  raw(b: Uint8Array): this {
    const at = this.#room(b.length);
    this.#buf.set(b, at);
    return this;
  }

  /** A string: uint32 length, then the bytes (text is UTF-8). */
  string(s: string | Uint8Array): this {
    const b = typeof s === "string" ? utf8.encode(s) : s;
    this.u32(b.length);
    return this.raw(b);
  }

  /** An mpint from a non-negative bigint or an unsigned big-endian number. */
  mpint(n: bigint | Uint8Array): this {
    return this.string(mpintBody(typeof n === "bigint" ? bigintBytes(n) : n));
  }

  /** A name-list: the names joined by commas, as a string. */
  nameList(names: readonly string[]): this {
    return this.string(names.join(","));
  }

  /** The message written, as a view of the writer's buffer. */
  finish(): Uint8Array {
    return this.#buf.subarray(0, this.#len);
  }
}

/** Reads the fields of one message in order. */
export class SshReader {
  readonly #buf: Uint8Array;
  readonly #view: DataView;
  #at: number;

  constructor(buf: Uint8Array, offset = 0) {
    this.#buf = buf;
    this.#view = new DataView(buf.buffer, buf.byteOffset, buf.byteLength);
    this.#at = offset;
  }

  /** Bytes not read yet. */
  get remaining(): number {
    return this.#buf.length - this.#at;
  }

  #take(n: number, what: string): number {
    const at = this.#at;
    if (n < 0 || at + n > this.#buf.length) {
      throw new WireError(`Message too short for its ${what}`);
    }
    this.#at = at + n;
    return at;
  }

  byte(): number {
    return this.#buf[this.#take(1, "byte")]!;
  }

  bool(): boolean {
    return this.byte() !== 0;
  }

  u32(): number {
    return this.#view.getUint32(this.#take(4, "uint32"));
  }

  /** A uint64 as a number; WireError beyond 2^53 - 1 (no file or offset is that large). */
  u64(): number {
    const v = this.#view.getBigUint64(this.#take(8, "uint64"));
    if (v > BigInt(Number.MAX_SAFE_INTEGER)) throw new WireError(`uint64 too large: ${v}`);
    return Number(v);
  }

  /** A string's bytes, as a view of the message (no copy). */
  string(): Uint8Array {
    const n = this.u32();
    const at = this.#take(n, "string");
    return this.#buf.subarray(at, at + n);
  }

  /** A string as UTF-8 text (invalid bytes become U+FFFD). */
  text(): string {
    return fromUtf8.decode(this.string());
  }

  /** An mpint as a bigint. */
  mpint(): bigint {
    const b = this.string();
    if (b.length === 0) return 0n;
    let v = bytesBigint(b);
    if (b[0]! & 0x80) v -= 1n << BigInt(b.length * 8);
    return v;
  }

  nameList(): string[] {
    const s = this.text();
    return s === "" ? [] : s.split(",");
  }

  /** What is left, as a view. */
  rest(): Uint8Array {
    const at = this.#take(this.remaining, "rest");
    return this.#buf.subarray(at);
  }

  /** `n` bytes as they are, as a view. */
  raw(n: number): Uint8Array {
    const at = this.#take(n, "bytes");
    return this.#buf.subarray(at, at + n);
  }
}

/** A non-negative bigint as unsigned big-endian bytes (empty for zero). */
export function bigintBytes(n: bigint): Uint8Array {
  if (n < 0n) throw new WireError("Negative numbers are not written here");
  let hex = n.toString(16);
  if (n === 0n) return new Uint8Array(0);
  if (hex.length % 2) hex = "0" + hex;
  const out = new Uint8Array(hex.length / 2);
  for (let i = 0; i < out.length; i++) out[i] = parseInt(hex.slice(i * 2, i * 2 + 2), 16);
  return out;
}

/** Unsigned big-endian bytes as a bigint. */
export function bytesBigint(b: Uint8Array): bigint {
  let hex = "";
  for (const x of b) hex += x.toString(16).padStart(2, "0");
  return hex === "" ? 0n : BigInt("0x" + hex);
}

/**
 * The body of an mpint for an unsigned big-endian number: leading zero bytes dropped, and one
 * zero byte put back where the top bit is set (so the number reads as positive).
 */
export function mpintBody(unsigned: Uint8Array): Uint8Array {
  let i = 0;
  while (i < unsigned.length && unsigned[i] === 0) i++;
  const b = unsigned.subarray(i);
  if (b.length > 0 && b[0]! & 0x80) {
    const out = new Uint8Array(b.length + 1);
    out.set(b, 1);
    return out;
  }
  return b;
}
