/**
 * Containment of local paths: the `localRoots` setting (scripts, disk VFSs and script files
 * may touch the local disk only inside these folders; an empty list means no limit), and the
 * one rule every such check uses, {@linkcode isInside}. Symbolic links are resolved before the
 * check, so a link inside a root that points outside does not open a way out.
 *
 * @example
 * ```ts
 * isInside("/srv/in", "/srv/in/..x/.env"); // true: "..x" is a name, not the parent
 * isInside("/srv/in", "/srv/inbox");       // false
 * ```
 * @module
 */

import { dirname, isAbsolute, join, relative, resolve, sep } from "../path.ts";

/** Resolves `p` and returns it when it lies inside one of `roots`; throws otherwise. */
export function checkLocalPath(p: string, roots: readonly string[]): Promise<string> {
  const abs = resolve(p);
  if (roots.length === 0) return Promise.resolve(abs);
  const real = realPathOf(abs);
  if (real !== undefined) {
    for (const root of roots) {
      const realRoot = realPathOf(resolve(root));
      if (realRoot !== undefined && isInside(realRoot, real)) return Promise.resolve(abs);
    }
  }
  return Promise.reject(
    new LocalRootError(
      `Local path "${p}" is outside the allowed folders (setting localRoots: ${roots.join(", ")})`,
    ),
  );
}

/** A local path outside `localRoots`. */
export class LocalRootError extends Error {
  override name = "LocalRootError";
}

/**
 * True when absolute path `p` is `root` or lies below it. Tested on path segments: the way
 * out is a first segment that is exactly `..` (or, on Windows, another drive), so names that
 * merely start with dots (`..x`, `...`, `..name.tmp`) are inside.
 */
export function isInside(root: string, p: string): boolean {
  const win = Deno.build.os === "windows";
  const rel = relative(win ? root.toLowerCase() : root, win ? p.toLowerCase() : p);
  if (rel === "") return true;
  if (isAbsolute(rel) || rel.startsWith(sep) || /^[a-zA-Z]:/.test(rel)) return false;
  return rel.split(win ? /[\\/]/ : sep)[0] !== "..";
}

/** Links followed before a path counts as leading nowhere (Linux's own limit is 40). */
const MAX_LINKS = 40;

/**
 * The real path of absolute path `abs`, or of its nearest existing ancestor joined with the
 * rest: where `abs` is, links followed, whether it exists or not. A link on the way that leads
 * nowhere (its target missing) counts where it points: a dangling link to a place outside
 * would otherwise pass as inside, and a script could learn from the answers whether that place
 * exists (an existing target is refused, a missing one allowed). Undefined for a loop of
 * links: a path that is nowhere, so in no root. The one resolution every containment check
 * uses (`checkLocalPath`, the disk VFS); synchronous, as the disk VFS's metadata calls are
 * (see `DiskVfs`): a lookup in the kernel's caches costs less than a hop to Deno's thread pool.
 */
export function realPathOf(abs: string, links = 0): string | undefined {
  let cur = abs;
  const rest: string[] = [];
  const withRest = (base: string) => rest.length === 0 ? base : join(base, ...rest.reverse());
  for (;;) {
    try {
      return withRest(Deno.realPathSync(cur));
    } catch {
      let target: string | undefined;
      try {
        target = Deno.readLinkSync(cur);
      } catch { /* not a link: missing, so its parent is looked at */ }
      if (target !== undefined) {
        if (links >= MAX_LINKS) return undefined;
        const via = realPathOf(resolve(dirname(cur), target), links + 1);
        return via === undefined ? undefined : withRest(via);
      }
      const parent = dirname(cur);
      if (parent === cur) return abs;
      rest.push(cur.slice(parent.length).replace(/^[/\\]+/, ""));
      cur = parent;
    }
  }
}
