/**
 * Enforces the `localRoots` setting: scripts may touch the local disk only inside these
 * folders (an empty list means no limit). Symbolic links are resolved before the check, so a
 * link inside a root that points outside does not open a way out.
 *
 * @module
 */

import { dirname, isAbsolute, join, relative, resolve, sep } from "node:path";

/** Resolves `p` and returns it when it lies inside one of `roots`; throws otherwise. */
export async function checkLocalPath(p: string, roots: readonly string[]): Promise<string> {
  const abs = resolve(p);
  if (roots.length === 0) return abs;
  const real = await realPathOfExisting(abs);
  for (const root of roots) {
    const realRoot = await realPathOfExisting(resolve(root));
    if (isInside(realRoot, real)) return abs;
  }
  throw new LocalRootError(
    `Local path "${p}" is outside the allowed folders (setting localRoots: ${roots.join(", ")})`,
  );
}

/** A local path outside `localRoots`. */
export class LocalRootError extends Error {
  override name = "LocalRootError";
}

function isInside(root: string, p: string): boolean {
  const a = Deno.build.os === "windows" ? root.toLowerCase() : root;
  const b = Deno.build.os === "windows" ? p.toLowerCase() : p;
  const rel = relative(a, b);
  return rel === "" || (!rel.startsWith("..") && !isAbsolute(rel) && !rel.startsWith(sep));
}

/** The real path of `abs`, or of its nearest existing ancestor joined with the rest. */
async function realPathOfExisting(abs: string): Promise<string> {
  let cur = abs;
  const rest: string[] = [];
  for (;;) {
    try {
      const real = await Deno.realPath(cur);
      return rest.length === 0 ? real : join(real, ...rest.reverse());
    } catch {
      const parent = dirname(cur);
      if (parent === cur) return abs;
      rest.push(cur.slice(parent.length).replace(/^[/\\]+/, ""));
      cur = parent;
    }
  }
}
