/**
 * `FormatDateTime(date, layout)`: formats a date with either Go's reference layout
 * (`2006-01-02 15:04:05`, as AFT! users know it) or the common tokens `YYYY MM DD HH mm ss SSS`.
 * Local time of the host.
 *
 * @example
 * ```ts
 * formatDateTime(new Date(2026, 0, 2, 3, 4, 5), "2006-01-02_150405"); // "2026-01-02_030405"
 * formatDateTime(new Date(2026, 0, 2), "YYYYMMDD"); // "20260102"
 * ```
 * @module
 */

const MONTHS = ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"];
const DAYS = ["Sun", "Mon", "Tue", "Wed", "Thu", "Fri", "Sat"];

function pad(n: number, width = 2): string {
  return String(n).padStart(width, "0");
}

/** Formats `date` (a Date, an ISO string or epoch milliseconds) with `layout`. */
export function formatDateTime(date: Date | string | number, layout: string): string {
  const d = date instanceof Date ? date : new Date(date);
  if (Number.isNaN(d.getTime())) throw new TypeError(`Invalid date: ${JSON.stringify(date)}`);
  const tokens: [string, () => string][] = [
    ["YYYY", () => String(d.getFullYear())],
    ["2006", () => String(d.getFullYear())],
    ["SSS", () => pad(d.getMilliseconds(), 3)],
    [".000", () => "." + pad(d.getMilliseconds(), 3)],
    ["Jan", () => MONTHS[d.getMonth()]!],
    ["Mon", () => DAYS[d.getDay()]!],
    ["YY", () => pad(d.getFullYear() % 100)],
    ["MM", () => pad(d.getMonth() + 1)],
    ["DD", () => pad(d.getDate())],
    ["HH", () => pad(d.getHours())],
    ["mm", () => pad(d.getMinutes())],
    ["ss", () => pad(d.getSeconds())],
    ["01", () => pad(d.getMonth() + 1)],
    ["02", () => pad(d.getDate())],
    ["15", () => pad(d.getHours())],
    ["04", () => pad(d.getMinutes())],
    ["05", () => pad(d.getSeconds())],
    ["06", () => pad(d.getFullYear() % 100)],
  ];
  let out = "";
  let i = 0;
  outer: while (i < layout.length) {
    for (const [tok, fn] of tokens) {
      if (layout.startsWith(tok, i)) {
        out += fn();
        i += tok.length;
        continue outer;
      }
    }
    out += layout[i];
    i++;
  }
  return out;
}
