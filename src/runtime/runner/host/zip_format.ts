/**
 * The records of a zip archive (PKWARE APPNOTE 6.3): local file header, central directory
 * header, Zip64 end records and the end of central directory record, as bytes. Written as
 * Info-ZIP and yazl write them on Unix: "made by" Unix, external attributes `mode << 16`, the
 * DOS date and time in local time, the exact modification time in an extended timestamp
 * (`UT`, 0x5455) in the central directory, the UTF-8 flag (bit 11) on names that are not ASCII.
 *
 * @module
 */

/** Local file header signature. */
export const LOCAL_SIG = 0x04034b50;
const CENTRAL_SIG = 0x02014b50;
const ZIP64_END_SIG = 0x06064b50;
const ZIP64_LOCATOR_SIG = 0x07064b50;
const END_SIG = 0x06054b50;
/** Version made by: 3 (Unix) in the high byte, spec 6.3 in the low one. */
const MADE_BY = (3 << 8) | 63;
const NEEDS_DEFAULT = 20;
const NEEDS_ZIP64 = 45;
const FLAG_UTF8 = 1 << 11;
/** The largest value a 32-bit field holds; this value itself means "see the Zip64 field". */
export const MAX32 = 0xffffffff;
const MAX16 = 0xffff;
/** Bytes of a local header before the name. */
export const LOCAL_FIXED = 30;
/** Bytes of the Zip64 extra field in a local header (tag, size, two 8-byte sizes). */
export const LOCAL_ZIP64_EXTRA = 20;

/** What the records say about one entry. */
export interface EntryMeta {
  /** `/`-separated, UTF-8; folders end with `/`. */
  name: Uint8Array;
  /** Whether the name holds a byte above 0x7f (sets the UTF-8 flag). */
  utf8: boolean;
  /** 0 stored, 8 deflated. */
  method: number;
  mtime: Date;
  /** Unix mode with the file type bits. */
  mode: number;
  crc: number;
  compressed: number;
  size: number;
  /** Offset of the local header. */
  offset: number;
  /** Whether the local header carries a Zip64 extra field (reserved before the data). */
  localZip64: boolean;
}

/** The DOS date and time of `d` in local time, clamped to 1980..2107. */
export function dosDateTime(d: Date): { date: number; time: number } {
  const min = new Date(1980, 0, 1);
  const max = new Date(2107, 11, 31, 23, 59, 58);
  const t = d < min ? min : d > max ? max : d;
  return {
    date: ((t.getFullYear() - 1980) << 9) | ((t.getMonth() + 1) << 5) | t.getDate(),
    time: (t.getHours() << 11) | (t.getMinutes() << 5) | (t.getSeconds() >> 1),
  };
}

function u64(v: DataView, at: number, n: number): void {
  v.setBigUint64(at, BigInt(n), true);
}

/** The local file header of `e` (sizes and CRC as known now; patched in place later). */
export function localHeader(e: EntryMeta): Uint8Array {
  const extra = e.localZip64 ? LOCAL_ZIP64_EXTRA : 0;
  const out = new Uint8Array(LOCAL_FIXED + e.name.length + extra);
  const v = new DataView(out.buffer);
  const { date, time } = dosDateTime(e.mtime);
  v.setUint32(0, LOCAL_SIG, true);
  v.setUint16(4, e.localZip64 ? NEEDS_ZIP64 : NEEDS_DEFAULT, true);
  v.setUint16(6, e.utf8 ? FLAG_UTF8 : 0, true);
  v.setUint16(8, e.method, true);
  v.setUint16(10, time, true);
  v.setUint16(12, date, true);
  v.setUint32(14, e.crc, true);
  v.setUint32(18, e.localZip64 ? MAX32 : e.compressed, true);
  v.setUint32(22, e.localZip64 ? MAX32 : e.size, true);
  v.setUint16(26, e.name.length, true);
  v.setUint16(28, extra, true);
  out.set(e.name, LOCAL_FIXED);
  if (e.localZip64) {
    const at = LOCAL_FIXED + e.name.length;
    v.setUint16(at, 1, true);
    v.setUint16(at + 2, 16, true);
    u64(v, at + 4, e.size);
    u64(v, at + 12, e.compressed);
  }
  return out;
}

/** The central directory header of `e`; `limit` is the value from which Zip64 is used. */
export function centralHeader(e: EntryMeta, limit: number): Uint8Array {
  const big = [e.size, e.compressed, e.offset].map((n) => n >= limit);
  const zip64 = big.some(Boolean);
  // The Zip64 field holds, in this order, exactly the values whose 32-bit field says MAX32.
  const z64Len = zip64 ? 4 + 8 * big.filter(Boolean).length : 0;
  const utLen = 9;
  const out = new Uint8Array(46 + e.name.length + utLen + z64Len);
  const v = new DataView(out.buffer);
  const { date, time } = dosDateTime(e.mtime);
  v.setUint32(0, CENTRAL_SIG, true);
  v.setUint16(4, MADE_BY, true);
  v.setUint16(6, zip64 || e.localZip64 ? NEEDS_ZIP64 : NEEDS_DEFAULT, true);
  v.setUint16(8, e.utf8 ? FLAG_UTF8 : 0, true);
  v.setUint16(10, e.method, true);
  v.setUint16(12, time, true);
  v.setUint16(14, date, true);
  v.setUint32(16, e.crc, true);
  v.setUint32(20, big[1] ? MAX32 : e.compressed, true);
  v.setUint32(24, big[0] ? MAX32 : e.size, true);
  v.setUint16(28, e.name.length, true);
  v.setUint16(30, utLen + z64Len, true);
  // 32 comment length, 34 disk number, 36 internal attributes: 0.
  v.setUint32(38, ((e.mode & 0xffff) << 16) >>> 0, true);
  v.setUint32(42, big[2] ? MAX32 : e.offset, true);
  out.set(e.name, 46);
  let at = 46 + e.name.length;
  // Extended timestamp: flags say mtime and atime (as Info-ZIP), the central copy has mtime only.
  v.setUint16(at, 0x5455, true);
  v.setUint16(at + 2, 5, true);
  v.setUint8(at + 4, 3);
  const secs = Math.floor(e.mtime.getTime() / 1000);
  v.setInt32(at + 5, Math.max(-0x80000000, Math.min(0x7fffffff, secs)), true);
  at += utLen;
  if (zip64) {
    v.setUint16(at, 1, true);
    v.setUint16(at + 2, z64Len - 4, true);
    at += 4;
    for (const [i, n] of [e.size, e.compressed, e.offset].entries()) {
      if (!big[i]) continue;
      u64(v, at, n);
      at += 8;
    }
  }
  return out;
}

/**
 * The end records: a Zip64 end record and its locator when a count, size or offset needs them
 * (or `limit` says so), then the end of central directory record.
 */
export function endRecords(count: number, cdOffset: number, cdSize: number, limit: number) {
  const zip64 = count >= Math.min(MAX16, limit) || cdOffset >= limit || cdSize >= limit;
  const parts: Uint8Array[] = [];
  if (zip64) {
    const rec = new Uint8Array(56 + 20);
    const v = new DataView(rec.buffer);
    v.setUint32(0, ZIP64_END_SIG, true);
    u64(v, 4, 44);
    v.setUint16(12, MADE_BY, true);
    v.setUint16(14, NEEDS_ZIP64, true);
    // 16 this disk, 20 disk with the central directory: 0.
    u64(v, 24, count);
    u64(v, 32, count);
    u64(v, 40, cdSize);
    u64(v, 48, cdOffset);
    v.setUint32(56, ZIP64_LOCATOR_SIG, true);
    // 60 disk with the Zip64 end record: 0; 64 its offset; 72 total disks: 1.
    u64(v, 64, cdOffset + cdSize);
    v.setUint32(72, 1, true);
    parts.push(rec);
  }
  const end = new Uint8Array(22);
  const v = new DataView(end.buffer);
  v.setUint32(0, END_SIG, true);
  v.setUint16(8, zip64 ? MAX16 : count, true);
  v.setUint16(10, zip64 ? MAX16 : count, true);
  v.setUint32(12, zip64 ? MAX32 : cdSize, true);
  v.setUint32(16, zip64 ? MAX32 : cdOffset, true);
  parts.push(end);
  return parts;
}
