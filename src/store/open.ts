/**
 * Chooses and opens the store: `--store` (the flag of `aft serve`), else `$AFT_STORE`, else the
 * `store` entry of `config.json` in the data directory (so every `aft` command on the host uses
 * it), else SQLite at `DATA/aft.db`. The store is migrated before it is returned.
 *
 * `config.json` is written by the operator, e.g. `{"store": "postgres://aft:...@db/aft"}`; when
 * its URL holds a password, the file must be private (mode 0600), as the data directory's other
 * files are.
 *
 * @example
 * ```ts
 * const store = await openStore({ dataDir: "/var/lib/aft" });
 * console.log(store.kind, store.location); // "sqlite" "/var/lib/aft/aft.db"
 * await store.close();
 * ```
 * @module
 */

import { join } from "../path.ts";
import { SqliteStore } from "./sqlite.ts";
import { parseStoreSpec, redactStoreUrl, type StoreSpec } from "./store_url.ts";
import { type Store, StoreError } from "./types.ts";

/** The name of the data directory's config file. */
export const CONFIG_FILE = "config.json";

/** Where the chosen store came from, for a start-up line. */
export type StoreSource = "--store" | "AFT_STORE" | "config.json" | "default";

/** The store spec for `dataDir` and where it came from (see the module's doc for the order). */
export function resolveStore(
  opts: { dataDir: string; store?: string; env?: (name: string) => string | undefined },
): { spec: StoreSpec; from: StoreSource } {
  const env = opts.env ?? ((n) => Deno.env.get(n));
  if (opts.store) return { spec: parseStoreSpec(opts.store, opts.dataDir), from: "--store" };
  const fromEnv = env("AFT_STORE");
  if (fromEnv) return { spec: parseStoreSpec(fromEnv, opts.dataDir), from: "AFT_STORE" };
  const configured = readConfiguredStore(join(opts.dataDir, CONFIG_FILE));
  if (configured) return { spec: parseStoreSpec(configured, opts.dataDir), from: "config.json" };
  return { spec: { kind: "sqlite", path: join(opts.dataDir, "aft.db") }, from: "default" };
}

/** The `store` entry of the config file at `path`, or undefined when there is none. */
function readConfiguredStore(path: string): string | undefined {
  let text: string;
  try {
    // Synchronous: a small file, most often missing, read on every command's way (see
    // ensureDataDir in engine/data_dir.ts).
    text = Deno.readTextFileSync(path);
  } catch (err) {
    if (err instanceof Deno.errors.NotFound) return undefined;
    throw new StoreError("INVALID", `Cannot read "${path}": ${(err as Error).message}`, {
      cause: err,
    });
  }
  let config: unknown;
  try {
    config = JSON.parse(text);
  } catch (err) {
    throw new StoreError("INVALID", `"${path}" is not valid JSON: ${(err as Error).message}`);
  }
  if (typeof config !== "object" || config === null || Array.isArray(config)) {
    throw new StoreError("INVALID", `"${path}" must hold a JSON object`);
  }
  const store = (config as Record<string, unknown>).store;
  if (store === undefined) return undefined;
  if (typeof store !== "string" || store.trim() === "") {
    throw new StoreError("INVALID", `"store" in "${path}" must be a store URL (a string)`);
  }
  if (Deno.build.os !== "windows" && redactStoreUrl(store) !== store) {
    const mode = Deno.statSync(path).mode ?? 0;
    if ((mode & 0o077) !== 0) {
      throw new StoreError(
        "INVALID",
        `"${path}" holds a store password but others may read it (mode ${
          (mode & 0o777).toString(8)
        }): make it private with chmod 600`,
      );
    }
  }
  return store;
}

/**
 * Opens the store named by `spec` (not migrated). The PostgreSQL client is loaded only for a
 * PostgreSQL store, so commands on SQLite do not pay for it.
 */
export async function storeFor(spec: StoreSpec): Promise<Store> {
  if (spec.kind === "sqlite") return new SqliteStore(spec.path);
  const { PostgresStore } = await import("./postgres/postgres.ts");
  return new PostgresStore(spec.url);
}

/** Resolves, opens and migrates the store for `dataDir` (closing it again if migrating fails). */
export async function openStore(
  opts: { dataDir: string; store?: string },
): Promise<Store> {
  const { spec } = resolveStore(opts);
  const store = await storeFor(spec);
  try {
    await store.migrate();
  } catch (err) {
    await store.close().catch(() => {});
    throw err;
  }
  return store;
}
