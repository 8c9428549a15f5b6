/**
 * Where a script's syntax error is. V8 says what is wrong ("missing ) after argument list")
 * but not where when the source is compiled with `eval`, so the runner parses the source again
 * with a standalone parser (acorn, loaded only when a script fails to compile) to find the
 * line and column, and quotes the line with a caret under the column.
 *
 * @example
 * ```ts
 * await describeSyntaxError('Log.Info("a" + (x, 2);', "a.syncjs", "missing ) after argument list", true);
 * // Uncaught SyntaxError: missing ) after argument list at a.syncjs:1:22
 * //   1 | Log.Info("a" + (x, 2);
 * //     |                      ^
 * ```
 * @module
 */

/** Longest part of the offending line quoted, in characters. */
const QUOTE_WIDTH = 120;

/** The 1-based line and column of the first syntax error in `source`, if a parser finds one. */
export async function locateSyntaxError(
  source: string,
): Promise<{ line: number; column: number } | undefined> {
  const { parse } = await import("acorn");
  try {
    parse(source, { ecmaVersion: "latest", sourceType: "script", locations: true });
    return undefined; // V8 refused what the parser accepts: no position to give
  } catch (err: unknown) {
    const loc = (err as { loc?: { line: number; column: number } }).loc;
    return loc ? { line: loc.line, column: loc.column + 1 } : undefined;
  }
}

/**
 * The error text of a script that did not compile: V8's message with `file:line:column`, and
 * (when `quoteSource`) the offending line with a caret. Without `quoteSource`, nothing of the
 * file's content is shown: not the line, nor a token V8 quotes in its message.
 */
export async function describeSyntaxError(
  source: string,
  fileName: string,
  message: string,
  quoteSource: boolean,
): Promise<string> {
  const shown = quoteSource ? message : message.replace(/\s*['"`].*$/s, "");
  const at = await locateSyntaxError(source).catch(() => undefined);
  if (!at) return `Uncaught SyntaxError: ${shown}`;
  const head = `Uncaught SyntaxError: ${shown} at ${fileName}:${at.line}:${at.column}`;
  if (!quoteSource) return head;
  const text = source.split(/\r\n|\r|\n|\u2028|\u2029/)[at.line - 1] ?? "";
  // Show a window of a long line around the column; control characters become "?" so a
  // terminal shows the line and nothing else.
  const start = Math.max(0, Math.min(at.column - 1 - QUOTE_WIDTH / 2, text.length - QUOTE_WIDTH));
  const cut = text.slice(start, start + QUOTE_WIDTH).replace(
    // deno-lint-ignore no-control-regex
    /[\u0000-\u0008\u000a-\u001f\u007f-\u009f]/g,
    "?",
  );
  const lead = `${at.line}`;
  const pad = " ".repeat(lead.length);
  const caret = cut.slice(0, at.column - 1 - start).replace(/[^\t]/g, " ") + "^";
  return [
    head,
    `  ${lead} | ${start > 0 ? "…" : ""}${cut}`,
    `  ${pad} | ${start > 0 ? " " : ""}${caret}`,
  ].join("\n");
}
