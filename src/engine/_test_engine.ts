/**
 * Test helper: an engine over a fresh temporary data directory, closed and removed after.
 *
 * @module
 */

import { createEngine, type EngineOptions } from "./engine.ts";
import type { Engine } from "./surface.ts";

/** Runs `fn` with an engine on a temporary data directory (settings applied first). */
export async function withEngine(
  fn: (engine: Engine, dataDir: string) => Promise<void>,
  opts: { settings?: Record<string, unknown>; store?: EngineOptions["store"] } = {},
): Promise<void> {
  const dataDir = await Deno.makeTempDir({ prefix: "aft-engine-" });
  const engine = await createEngine({ dataDir, store: opts.store, log: () => {} });
  try {
    for (const [k, v] of Object.entries(opts.settings ?? {})) await engine.settings.set(k, v);
    await fn(engine, dataDir);
  } finally {
    await engine.close();
    await Deno.remove(dataDir, { recursive: true });
  }
}

/** Asserts that `p` rejects with an EngineError of `code`; returns its message. */
export async function rejectsWith(p: Promise<unknown>, code: string): Promise<string> {
  try {
    await p;
  } catch (err) {
    const e = err as { code?: string; message?: string; name?: string };
    if (e.name === "EngineError" && e.code === code) return e.message ?? "";
    throw new Error(`expected EngineError ${code}, got ${e.name} ${e.code}: ${e.message}`);
  }
  throw new Error(`expected EngineError ${code}, but it succeeded`);
}
