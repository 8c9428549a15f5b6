/**
 * Addresses and allow-lists: IPv4 and IPv6 addresses and CIDR ranges, compared over their
 * 128-bit form (IPv4 as IPv4-mapped IPv6), for the allow-lists of API keys.
 *
 * @example
 * ```ts
 * allowed("10.1.2.3", ["10.0.0.0/8"]); // true
 * ```
 * @module
 */

/** An address as 16 bytes (IPv4 as IPv4-mapped IPv6), or undefined when it is not an address. */
export function parseIp(text: string): Uint8Array | undefined {
  let s = text.trim();
  if (s.startsWith("[") && s.endsWith("]")) s = s.slice(1, -1);
  s = s.split("%")[0]!; // zone
  const v4 = parseV4(s);
  if (v4) return mapped(v4);
  if (!s.includes(":")) return undefined;
  // An embedded IPv4 tail (::ffff:1.2.3.4) becomes two groups.
  const tail = /^(.*:)(\d+\.\d+\.\d+\.\d+)$/.exec(s);
  if (tail) {
    const b = parseV4(tail[2]!);
    if (!b) return undefined;
    s = tail[1] + ((b[0]! << 8) | b[1]!).toString(16) + ":" + ((b[2]! << 8) | b[3]!).toString(16);
  }
  const halves = s.split("::");
  if (halves.length > 2) return undefined;
  const head = halves[0] ? halves[0].split(":") : [];
  const rest = halves.length === 2 && halves[1] ? halves[1].split(":") : [];
  const missing = 8 - head.length - rest.length;
  if (halves.length === 1 ? missing !== 0 : missing < 1) return undefined;
  const groups = [...head, ...Array(halves.length === 2 ? missing : 0).fill("0"), ...rest];
  const out = new Uint8Array(16);
  for (const [i, g] of groups.entries()) {
    if (!/^[0-9a-fA-F]{1,4}$/.test(g)) return undefined;
    const v = parseInt(g, 16);
    out[i * 2] = v >> 8;
    out[i * 2 + 1] = v & 0xff;
  }
  return out;
}

function parseV4(s: string): Uint8Array | undefined {
  const m = /^(\d{1,3})\.(\d{1,3})\.(\d{1,3})\.(\d{1,3})$/.exec(s);
  if (!m) return undefined;
  const b = m.slice(1).map(Number);
  if (b.some((x) => x > 255)) return undefined;
  return new Uint8Array(b);
}

function mapped(v4: Uint8Array): Uint8Array {
  const out = new Uint8Array(16);
  out[10] = 0xff;
  out[11] = 0xff;
  out.set(v4, 12);
  return out;
}

function isMapped(a: Uint8Array): boolean {
  for (let i = 0; i < 10; i++) if (a[i] !== 0) return false;
  return a[10] === 0xff && a[11] === 0xff;
}

/** A parsed allow-list entry: an address or a CIDR range. */
export interface IpRange {
  bytes: Uint8Array;
  /** Prefix length over the 128-bit form. */
  bits: number;
}

/** Parses `1.2.3.4`, `10.0.0.0/8`, `::1`, `2001:db8::/32`; undefined when invalid. */
export function parseRange(text: string): IpRange | undefined {
  const [addr, len, extra] = text.trim().split("/");
  if (extra !== undefined || !addr) return undefined;
  const bytes = parseIp(addr);
  if (!bytes) return undefined;
  const v4 = parseV4(addr.trim()) !== undefined;
  const max = v4 ? 32 : 128;
  let bits = max;
  if (len !== undefined) {
    if (!/^\d{1,3}$/.test(len) || Number(len) > max) return undefined;
    bits = Number(len);
  }
  return { bytes, bits: v4 ? bits + 96 : bits };
}

/** True when `ip` (any textual form; IPv4-mapped IPv6 counts as IPv4) is inside `range`. */
export function inRange(ip: Uint8Array, range: IpRange): boolean {
  let bits = range.bits;
  // An IPv6 range like ::/0 covers mapped IPv4 too; a v4 range only covers mapped addresses,
  // which is what the 96-bit offset of parseRange encodes.
  for (let i = 0; i < 16 && bits > 0; i++, bits -= 8) {
    const mask = bits >= 8 ? 0xff : (0xff << (8 - bits)) & 0xff;
    if ((ip[i]! & mask) !== (range.bytes[i]! & mask)) return false;
  }
  return true;
}

/** True when `ipText` is inside one of `allow`. */
export function allowed(ipText: string, allow: readonly string[]): boolean {
  const ip = parseIp(ipText);
  if (!ip) return false;
  return allow.some((a) => {
    const r = parseRange(a);
    return r !== undefined && inRange(ip, r);
  });
}

/** True for loopback addresses (127.0.0.0/8, ::1, and their mapped forms). */
export function isLoopback(ipText: string): boolean {
  return allowed(ipText, ["127.0.0.0/8", "::1"]);
}

/** The canonical form for logs and limits: mapped IPv4 shown as IPv4. */
export function normalizeIp(ipText: string): string {
  const ip = parseIp(ipText);
  if (!ip) return ipText;
  if (isMapped(ip)) return [...ip.subarray(12)].join(".");
  return ipText.replace(/^\[|\]$/g, "").toLowerCase();
}
