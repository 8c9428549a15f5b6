/**
 * `aft types [--out FILE]`: writes `aft.d.ts` (the script globals' declarations) for editors.
 *
 * @module
 */

import { resolve } from "node:path";
import { UsageError } from "../errors.ts";
import { scriptTypings } from "../engine/mod.ts";
import type { GlobalOptions } from "./_output.ts";

/** Options of `aft types`. */
export interface TypesOptions extends GlobalOptions {
  /** `--out FILE`, or `-` for standard output. */
  out?: string;
}

/** Entry of `aft types`. */
export default async function types(
  _action: string,
  args: string[],
  opts: TypesOptions,
): Promise<number> {
  if (args.length > 0) throw new UsageError("aft types takes no arguments: use --out FILE");
  const dts = await scriptTypings();
  const out = typeof opts.out === "string" && opts.out !== "" ? opts.out : "aft.d.ts";
  if (out === "-") {
    await Deno.stdout.write(new TextEncoder().encode(dts));
    return 0;
  }
  await Deno.writeTextFile(out, dts);
  console.error(`aft: wrote ${resolve(out)}`);
  return 0;
}
