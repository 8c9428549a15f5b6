/**
 * The command line that starts this aft again, for a service definition: the compiled binary
 * itself, or (from a checkout) deno with the same flags as `deno task aft`.
 *
 * @module
 */

import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { RUN_FLAGS } from "../deno_flags.ts";

/** `[binary]` when compiled, else `[deno, "run", ..., main.ts]` (absolute paths). */
export function selfCommand(): string[] {
  if (Deno.build.standalone) return [Deno.execPath()];
  const main = fileURLToPath(new URL("../../main.ts", import.meta.url));
  return [Deno.execPath(), "run", ...RUN_FLAGS, "--config", join(dirname(main), "deno.json"), main];
}

/**
 * Text with control characters (newlines among them) cannot go into a unit file or a service's
 * command line without changing its meaning: such a path or name is refused.
 */
export function hasControl(text: string): boolean {
  // deno-lint-ignore no-control-regex
  return /[\x00-\x1f\x7f]/.test(text);
}
