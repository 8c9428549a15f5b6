/**
 * `aft types [--out FILE]`: writes `aft.d.ts` (the script globals' declarations) for editors.
 *
 * @module
 */

import { resolve } from "node:path";
import { UsageError } from "../errors.ts";
import { AFT_DTS } from "../runtime/typings.ts";

/** Entry of `aft types`. */
export default async function types(
  _action: string,
  args: string[],
  opts: Record<string, unknown>,
): Promise<number> {
  if (args.length > 0) throw new UsageError("aft types takes no arguments: use --out FILE");
  const out = typeof opts.out === "string" && opts.out !== "" ? opts.out : "aft.d.ts";
  if (out === "-") {
    await Deno.stdout.write(new TextEncoder().encode(AFT_DTS));
    return 0;
  }
  await Deno.writeTextFile(out, AFT_DTS);
  console.error(`aft: wrote ${resolve(out)}`);
  return 0;
}
