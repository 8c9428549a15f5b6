/**
 * Operation groups loaded on their first call: `aft run` runs one job and never signs anyone in,
 * so it does not load the modules of admins, sessions, API keys, schedules or backups (each
 * module a process loads is start-up time, about half a millisecond of CPU apiece).
 *
 * @example
 * ```ts
 * const admins = lazyOps(
 *   async () => (await import("./admins.ts")).createAdminOps(core, failures),
 *   { list: true, get: true, ... },  // every method: the type checks the list
 * );
 * await admins.list(); // loads admins.ts, then lists
 * ```
 * @module
 */

/** Methods that answer with a promise: the only kind a lazy group can stand in for. */
type AsyncMethods<T> = { [K in keyof T]: (...args: never[]) => Promise<unknown> };

/**
 * An object with the methods `names` lists (every method of `T`, no other), each of which
 * loads the real group with `load` once, then calls it. A failed load is tried again on the
 * next call.
 */
export function lazyOps<T extends AsyncMethods<T>>(
  load: () => Promise<T>,
  names: Record<keyof T, true>,
): T {
  let ops: Promise<T> | undefined;
  const real = () =>
    ops ??= load().catch((err: unknown) => {
      ops = undefined;
      throw err;
    });
  const out: Record<string, unknown> = {};
  for (const name of Object.keys(names)) {
    out[name] = async (...args: unknown[]) => {
      const group = await real() as unknown as Record<string, (...a: unknown[]) => unknown>;
      return await group[name]!(...args);
    };
  }
  return out as T;
}
