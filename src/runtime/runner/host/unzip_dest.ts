/**
 * Where Unzip's entries land, checked before anything is written: a folder already in the
 * destination may be a symbolic link, and an entry below it would be written wherever the link
 * points. Every existing part of an entry's path under the destination is looked at; a link
 * among them must resolve inside `localRoots` (the check every local path of a script passes,
 * which resolves links), and a link at an entry's own name is refused outright: Unzip does
 * not replace or write through it.
 *
 * @example
 * ```ts
 * // dest/evil -> /etc, the archive holds evil/passwd:
 * await unsafeTarget("/srv/in/dest", "evil/passwd", false, ["/srv/in"]);
 * // 'would be written through the symbolic link "/srv/in/dest/evil" (to "/etc"), …'
 * ```
 * @module
 */

import { join } from "../../../path.ts";
import { checkLocalPath, LocalRootError } from "../../../vfs/local_roots.ts";

/**
 * Why entry `rel` (`/`-separated, already free of `..` and absolute forms; a folder when
 * `dir`) must not be extracted into `dest`, or undefined when it may. `seen` holds the paths
 * already found safe, so a folder shared by many entries is looked at once.
 */
export async function unsafeTarget(
  dest: string,
  rel: string,
  dir: boolean,
  roots: readonly string[],
  seen: Set<string> = new Set(),
): Promise<string | undefined> {
  const parts = rel.split("/").filter((p) => p !== "" && p !== ".");
  let cur = dest;
  for (let i = 0; i < parts.length; i++) {
    cur = join(cur, parts[i]!);
    if (seen.has(cur)) continue;
    const st = await Deno.lstat(cur).catch(() => null);
    if (!st) return undefined; // nothing exists from here down: it is made by Unzip
    if (st.isSymlink) {
      if (i === parts.length - 1 && !dir) return `would replace the symbolic link "${cur}"`;
      try {
        await checkLocalPath(cur, roots);
      } catch (err) {
        if (!(err instanceof LocalRootError)) throw err;
        const to = await Deno.realPath(cur).catch(() => "a missing target");
        return `would be written through the symbolic link "${cur}" (to "${to}"), ` +
          `outside the allowed folders (setting localRoots: ${roots.join(", ")})`;
      }
    }
    seen.add(cur);
  }
  return undefined;
}
