/**
 * Printing helpers shared by the commands: aligned tables for people, JSON for machines.
 *
 * @module
 */

/** Prints `value` as indented JSON, alone on stdout. */
export function printJson(value: unknown): void {
  console.log(JSON.stringify(value, null, 2));
}

/** Prints rows as aligned columns under a header; prints `empty` when there are none. */
export function printTable(header: string[], rows: string[][], empty = "(none)"): void {
  if (rows.length === 0) {
    console.log(empty);
    return;
  }
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => (r[i] ?? "").length)));
  const line = (cells: string[]) =>
    cells.map((c, i) => i === cells.length - 1 ? c : c.padEnd(widths[i]!)).join("  ");
  console.log(line(header.map((h) => h.toUpperCase())));
  for (const r of rows) console.log(line(r));
}

/** `2026-11-22 10:04` from an ISO time (UTC), or `-`. */
export function shortTime(iso: string | null | undefined): string {
  return iso ? iso.slice(0, 16).replace("T", " ") : "-";
}
