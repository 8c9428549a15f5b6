/**
 * A job's log line as text, the one form `aft run`, `aft start --wait`, `aft jobs log` and the
 * console's `log.txt` print: `TIME LEVEL text`. The text is the script's, so it is made safe
 * to print: control characters other than tab and line feed become `\uXXXX` (a terminal acts
 * on them), and the lines after the first are indented under the text, so that a script's
 * `Log.Info("ok\n2026-01-01T00:00:00.000Z ERROR forged")` cannot pass for a line of aft's own.
 *
 * @example
 * ```ts
 * logLineText({ ts: "2026-12-04T10:00:00.000Z", level: "info", text: "a\nb" });
 * // "2026-12-04T10:00:00.000Z INFO  a\n                               b"
 * ```
 * @module
 */

import { escapeControls } from "./names.ts";

/** See the module's doc. */
export function logLineText(l: { ts: string; level: string; text: string }): string {
  const head = `${l.ts} ${l.level.toUpperCase().padEnd(5)} `;
  const text = escapeControls(l.text, { keepLines: true });
  return head +
    (text.includes("\n") ? text.replaceAll("\n", "\n" + " ".repeat(head.length)) : text);
}
