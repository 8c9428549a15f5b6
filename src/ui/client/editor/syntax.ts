/**
 * Syntax errors of a script, found as the runner finds them: acorn over the source as an ECMAScript
 * script (not a module), which is how the runner compiles it (an indirect `eval`). So a `return`
 * outside a function or an `import` statement is marked here as it would fail there.
 *
 * @module
 */

import { parse } from "acorn";

/** One syntax error: where (offsets into the source), its 1-based line and column, and why. */
export interface SyntaxProblem {
  from: number;
  to: number;
  line: number;
  column: number;
  message: string;
}

/** The first syntax error of `source`, or undefined when it parses. */
export function findSyntaxError(source: string): SyntaxProblem | undefined {
  try {
    parse(source, { ecmaVersion: "latest", sourceType: "script", locations: true });
    return undefined;
  } catch (err: unknown) {
    const e = err as { pos?: number; loc?: { line: number; column: number }; message?: string };
    if (typeof e.pos !== "number" || !e.loc) throw err;
    // Mark the token that is wrong (to the end of its word), or one character; at the very
    // end, the last character, so the mark can be seen.
    let from = Math.min(e.pos, source.length);
    if (from === source.length && from > 0) from--;
    const word = /^[\w$]+/.exec(source.slice(from))?.[0].length ?? 1;
    return {
      from,
      to: Math.min(source.length, from + word),
      line: e.loc.line,
      column: e.loc.column + 1,
      message: (e.message ?? "Syntax error").replace(/\s*\(\d+:\d+\)$/, ""),
    };
  }
}
