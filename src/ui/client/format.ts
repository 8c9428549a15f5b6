/**
 * Number formats shared by the server's pages and the browser's modules.
 *
 * @module
 */

/** A byte count in binary units: "0 B", "1.5 KiB", "3.2 GiB". */
export function formatBytes(n: number): string {
  const units = ["B", "KiB", "MiB", "GiB", "TiB", "PiB"];
  let v = n;
  let i = 0;
  while (Math.abs(v) >= 1024 && i < units.length - 1) {
    v /= 1024;
    i++;
  }
  return i === 0 ? `${v} B` : `${v.toFixed(Math.abs(v) < 10 ? 1 : 0)} ${units[i]}`;
}

/** A count with the locale's grouping ("12,345"); in the browser, the browser's locale. */
export function formatCount(n: number): string {
  return new Intl.NumberFormat().format(n);
}

/** A duration in words: "850 ms", "42 s", "3 min 5 s", "2 h 10 min", "3 d 4 h". */
export function durationText(ms: number): string {
  if (ms < 1000) return `${Math.max(0, Math.round(ms))} ms`;
  const s = Math.floor(ms / 1000);
  if (s < 60) return `${s} s`;
  const m = Math.floor(s / 60);
  if (m < 60) return s % 60 ? `${m} min ${s % 60} s` : `${m} min`;
  const h = Math.floor(m / 60);
  if (h < 24) return m % 60 ? `${h} h ${m % 60} min` : `${h} h`;
  const d = Math.floor(h / 24);
  return h % 24 ? `${d} d ${h % 24} h` : `${d} d`;
}
