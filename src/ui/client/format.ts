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
