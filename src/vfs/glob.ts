/**
 * Glob masks for file names: `*` (any run of characters except `/`), `?` (one character),
 * `[abc]`, `[a-z]`, `[!abc]` or `[^abc]`, `{csv,txt}`, and `\` to escape. Case-sensitive.
 * Used by CopyToVFS sources (`/out/*.csv`), ListFiles masks and watcher filters.
 *
 * @example
 * ```ts
 * matchGlob("*.csv", "orders.csv"); // true
 * matchGlob("report-{a,b}?.txt", "report-b1.txt"); // true
 * ```
 * @module
 */

const SPECIAL = /[*?[{\\]/;

/** True when `s` contains glob syntax. */
export function hasGlob(s: string): boolean {
  return SPECIAL.test(s);
}

const cache = new Map<string, RegExp>();

/** Compiles a mask to an anchored regular expression. */
export function globToRegExp(mask: string): RegExp {
  const hit = cache.get(mask);
  if (hit) return hit;
  let re = "";
  let braces = 0;
  for (let i = 0; i < mask.length; i++) {
    const c = mask[i]!;
    if (c === "\\" && i + 1 < mask.length) {
      re += escape(mask[++i]!);
    } else if (c === "*") {
      re += "[^/]*";
    } else if (c === "?") {
      re += "[^/]";
    } else if (c === "[") {
      const end = mask.indexOf("]", i + 2);
      if (end < 0) {
        re += "\\[";
        continue;
      }
      let body = mask.slice(i + 1, end);
      const negate = body[0] === "!" || body[0] === "^";
      if (negate) body = body.slice(1);
      re += `[${negate ? "^" : ""}${body.replace(/[\\\]^]/g, "\\$&")}]`;
      i = end;
    } else if (c === "{") {
      braces++;
      re += "(?:";
    } else if (c === "}" && braces > 0) {
      braces--;
      re += ")";
    } else if (c === "," && braces > 0) {
      re += "|";
    } else {
      re += escape(c);
    }
  }
  re += ")".repeat(braces);
  const out = new RegExp(`^${re}$`, "u");
  if (cache.size > 500) cache.clear();
  cache.set(mask, out);
  return out;
}

function escape(c: string): string {
  return c.replace(/[.*+?^${}()|[\]\\/]/g, "\\$&");
}

/** True when `name` matches `mask`. */
export function matchGlob(mask: string, name: string): boolean {
  return globToRegExp(mask).test(name);
}
