/**
 * The flags every aft process runs with: `deno task aft`, the compiled binary (baked in by
 * `deno task compile`), a job's runner process, an OS service started from a checkout, and the
 * tests and benchmarks that start them (`deno_flags_test.ts` holds deno.json's tasks to this).
 *
 * `--no-lazy`: V8 compiles every function of a module when it compiles the module, instead of
 * each one on its first call, so Deno's code cache (kept per module in `DENO_DIR`, or beside a
 * compiled binary) holds them all, and a later process runs them without compiling anything.
 * Without it the cache held only each module's top level, and every `aft run` compiled again,
 * on its main thread, the hundreds of functions it calls on its way: 127.8 against 110.0 ms
 * median wall for `aft run` of a one-line script (25 alternating rounds, each way with a code
 * cache of its own); the cost is 2 to 5 MiB more resident memory (`aft run` about 66 against
 * 68 MiB peak, `aft serve` idle 87 against 92 MiB). Every process must use the same V8 flags:
 * V8 refuses a code cache made under other flags, so processes that differ overwrite each
 * other's cache and each compiles everything again.
 *
 * @module
 */

/** V8 flags of every aft process. */
export const V8_FLAGS: readonly string[] = ["--no-lazy"];

/** `--v8-flags=...` of V8_FLAGS and `extra` (for instance a runner's heap limit). */
export function v8FlagsArg(...extra: string[]): string {
  return `--v8-flags=${[...V8_FLAGS, ...extra].join(",")}`;
}

/** `deno run` flags of aft from a checkout, but its V8 flags. */
export const DENO_RUN_FLAGS: readonly string[] = [
  "--allow-all",
  "--unstable-worker-options",
  // Modules behind an import() are read when it runs, not all at start (README, Performance).
  "--unstable-lazy-dynamic-imports",
];

/** `deno run` flags of aft from a checkout, as `deno task aft` gives them (main.ts follows). */
export const RUN_FLAGS: readonly string[] = [...DENO_RUN_FLAGS, v8FlagsArg()];
