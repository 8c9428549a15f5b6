/**
 * Printing helpers shared by the commands: aligned tables for people, JSON for machines. Text
 * from stored data never reaches the terminal with raw control characters (a name or log line
 * holding an escape sequence could rewrite the screen): tables and text output escape them.
 *
 * @module
 */

import { escapeControls } from "../engine/names.ts";

/** Options every command has. */
export interface GlobalOptions {
  /** `--data DIR`: the data directory. */
  data?: string;
  /** `--debug`: stack traces on errors. */
  debug?: boolean;
}

/** `text` from stored data, safe for a terminal (one line). */
export function esc(text: string): string {
  return escapeControls(text);
}

/** Multi-line text from stored data (a script's source, a log line), safe for a terminal. */
export function escLines(text: string): string {
  return escapeControls(text, { keepLines: true });
}

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
  const cells = rows.map((r) => r.map((c) => esc(c ?? "")));
  const widths = header.map((h, i) => Math.max(h.length, ...cells.map((r) => (r[i] ?? "").length)));
  const line = (row: string[]) =>
    row.map((c, i) => i === row.length - 1 ? c : c.padEnd(widths[i]!)).join("  ");
  console.log(line(header.map((h) => h.toUpperCase())));
  for (const r of cells) console.log(line(r));
}

/** `2026-11-22 10:04` from an ISO time (UTC), or `-`. */
export function shortTime(iso: string | null | undefined): string {
  return iso ? iso.slice(0, 16).replace("T", " ") : "-";
}
