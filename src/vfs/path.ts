/**
 * VFS paths: POSIX-style, absolute, rooted at the backend's configured root. Backslashes are
 * ordinary characters here (legal in POSIX file names); only `/` separates.
 *
 * @example
 * ```ts
 * normalizePath("a//b/./c/../d"); // "/a/b/d"
 * normalizePath("/../etc");       // throws VfsError INVALID_PATH
 * ```
 * @module
 */

import { VfsError } from "./types.ts";

/** Absolute, `.`/`..` resolved, no duplicate or trailing slash; refuses to climb above `/`. */
export function normalizePath(p: string): string {
  if (typeof p !== "string") throw new VfsError("INVALID_PATH", "A path must be a string");
  if (p.includes("\0")) {
    throw new VfsError("INVALID_PATH", `Path contains a NUL character: ${JSON.stringify(p)}`);
  }
  if (isNormal(p)) return p; // most paths are (a copy normalizes each of its paths many times)
  const out: string[] = [];
  for (const seg of p.split("/")) {
    if (seg === "" || seg === ".") continue;
    if (seg === "..") {
      if (out.length === 0) {
        throw new VfsError("INVALID_PATH", `Path goes above the root: "${p}"`, { path: p });
      }
      out.pop();
    } else {
      out.push(seg);
    }
  }
  return "/" + out.join("/");
}

/** Whether `p` is already what normalizePath makes of it (NUL aside). */
function isNormal(p: string): boolean {
  if (p === "/") return true;
  return p.charCodeAt(0) === 47 && p.charCodeAt(p.length - 1) !== 47 && !p.includes("//") &&
    !p.includes("/./") && !p.includes("/../") && !p.endsWith("/.") && !p.endsWith("/..");
}

/** Joins segments and normalizes. */
export function joinPath(...parts: string[]): string {
  return normalizePath(parts.join("/"));
}

/** The parent folder (`/` for top-level entries and for `/`). */
export function dirname(p: string): string {
  const n = normalizePath(p);
  const i = n.lastIndexOf("/");
  return i <= 0 ? "/" : n.slice(0, i);
}

/** The last segment (`""` for `/`). */
export function basename(p: string): string {
  const n = normalizePath(p);
  return n.slice(n.lastIndexOf("/") + 1);
}

/** `p` relative to `base` (no leading slash), or undefined when `p` is not under `base`. */
export function relativeTo(base: string, p: string): string | undefined {
  const b = normalizePath(base);
  const n = normalizePath(p);
  if (b === "/") return n.slice(1);
  if (n === b) return "";
  return n.startsWith(b + "/") ? n.slice(b.length + 1) : undefined;
}
