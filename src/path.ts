/**
 * Host file paths (the data directory, script files, the store), as node:path gives them, but
 * on POSIX without node:path: its first import loads Deno's Node layer, about 23 ms of CPU that
 * `aft run` would pay on its critical path. On Windows these are node:path's own functions.
 * The POSIX ones follow node:path's POSIX rules exactly (`path_test.ts` compares them).
 *
 * @example
 * ```ts
 * join("/data", "logs", "../aft.db"); // "/data/aft.db"
 * basename("/a/b.syncjs/");         // "b.syncjs"
 * ```
 * @module
 */

/** POSIX path functions, with node:path's POSIX results. */
export const posix = {
  sep: "/",
  isAbsolute: (p: string): boolean => p.startsWith("/"),
  normalize,
  join(...parts: string[]): string {
    const joined = parts.filter((p) => p !== "").join("/");
    return joined === "" ? "." : normalize(joined);
  },
  resolve(...parts: string[]): string {
    let path = "";
    for (let i = parts.length - 1; i >= -1 && !path.startsWith("/"); i--) {
      const p = i >= 0 ? parts[i]! : Deno.cwd();
      if (p !== "") path = path === "" ? p : `${p}/${path}`;
    }
    const out = collapse(path, false);
    return `/${out}`;
  },
  dirname(p: string): string {
    if (p === "") return ".";
    const rooted = p.startsWith("/");
    // The slash before the last segment (trailing slashes are not one); never the first one.
    const from = trimmedEnd(p) - 1;
    const last = from < 1 ? -1 : p.lastIndexOf("/", from);
    if (last < 1) return rooted ? "/" : ".";
    // As node:path: "//a" gives "//", "/a//b" gives "/a/" (one slash dropped, no more).
    return rooted && last === 1 ? "//" : p.slice(0, last);
  },
  basename(p: string): string {
    const end = trimmedEnd(p);
    return p.slice(p.lastIndexOf("/", end - 1) + 1, end);
  },
  extname(p: string): string {
    const base = posix.basename(p);
    const dot = base.lastIndexOf(".");
    // No dot, a leading one (".profile") and ".." give no extension.
    return dot <= 0 || base === ".." ? "" : base.slice(dot);
  },
  relative(from: string, to: string): string {
    const a = posix.resolve(from).split("/").filter((s) => s !== "");
    const b = posix.resolve(to).split("/").filter((s) => s !== "");
    let same = 0;
    while (same < a.length && same < b.length && a[same] === b[same]) same++;
    return [...a.slice(same).map(() => ".."), ...b.slice(same)].join("/");
  },
};

/** Index just past the last character that is not a trailing slash (0: only slashes, or ""). */
function trimmedEnd(p: string): number {
  let end = p.length;
  while (end > 0 && p[end - 1] === "/") end--;
  return end;
}

/** `.` and `..` resolved, no empty segment, no leading or trailing slash. */
function collapse(p: string, keepAboveRoot: boolean): string {
  const out: string[] = [];
  let ups = 0;
  for (const seg of p.split("/")) {
    if (seg === "" || seg === ".") continue;
    if (seg === "..") {
      if (out.length > 0) out.pop();
      else if (keepAboveRoot) ups++;
    } else out.push(seg);
  }
  return [...Array<string>(ups).fill(".."), ...out].join("/");
}

function normalize(p: string): string {
  if (p === "") return ".";
  const abs = p.startsWith("/");
  let out = collapse(p, !abs);
  if (out === "" && !abs) out = ".";
  if (out !== "" && p.endsWith("/")) out += "/";
  return abs ? `/${out}` : out;
}

/** node:path itself where paths are not POSIX ones (Windows); undefined elsewhere. */
const native = Deno.build.os === "windows" ? await import("node:path") : undefined;
const impl: typeof posix = native ?? posix;

/** The path separator: "/" on POSIX, "\\" on Windows. */
export const sep: string = impl.sep;
/** As node:path's `isAbsolute`. */
export const isAbsolute: (p: string) => boolean = impl.isAbsolute;
/** As node:path's `join`. */
export const join: (...parts: string[]) => string = impl.join;
/** As node:path's `resolve` (relative to the working folder). */
export const resolve: (...parts: string[]) => string = impl.resolve;
/** As node:path's `dirname`. */
export const dirname: (p: string) => string = impl.dirname;
/** As node:path's `basename` (without a suffix to cut). */
export const basename: (p: string) => string = impl.basename;
/** As node:path's `extname`. */
export const extname: (p: string) => string = impl.extname;
/** As node:path's `relative`. */
export const relative: (from: string, to: string) => string = impl.relative;
