/**
 * The declarations of every script global (`aft.d.ts`), for `aft types`. Loaded on demand:
 * they are text the runtime keeps beside the prelude they describe.
 *
 * @module
 */

/** The text of `aft.d.ts`. */
export async function scriptTypings(): Promise<string> {
  return (await import("../runtime/typings.ts")).AFT_DTS;
}
