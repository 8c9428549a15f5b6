/**
 * `createEngine()`: the one object every command builds over the data directory.
 *
 * @example
 * ```ts
 * const engine = await createEngine({ dataDir: "/tmp/aft" });
 * const settings = await engine.settings();
 * await engine.close();
 * ```
 * @module
 */

import { openStore } from "../store/open.ts";
import { type Store, StoreError } from "../store/types.ts";
import { CliError } from "../errors.ts";
import { createBus } from "./bus.ts";
import { decrypt, encrypt, loadMasterKey } from "./crypto.ts";
import { ensureDataDir, resolveDataDir } from "./data_dir.ts";
import { loadSettings, type Settings } from "./settings.ts";
import type { Engine, Secrets } from "./types.ts";
import { createVfsLibrary } from "./vfs_library.ts";

/**
 * Opens the engine: data directory, store (chosen by `store`, `$AFT_STORE`, the data directory's
 * `config.json`, else SQLite; migrated), secrets, VFS Library, event bus.
 */
export async function createEngine(
  opts: { dataDir?: string; store?: string } = {},
): Promise<Engine> {
  const dataDir = resolveDataDir(opts.dataDir);
  await ensureDataDir(dataDir);
  let store: Store;
  try {
    store = await openStore({ dataDir, store: opts.store });
  } catch (err) {
    if (err instanceof StoreError) throw new CliError(err.message, 1, { cause: err });
    throw err;
  }
  // The master key is loaded on first use, so commands that touch no secret do not create it.
  let key: Promise<CryptoKey> | undefined;
  const masterKey = () => key ??= loadMasterKey(dataDir);
  const secrets: Secrets = {
    async get(name) {
      const rec = await store.secrets.getByName(name);
      return rec ? await decrypt(await masterKey(), rec.valueEnc) : undefined;
    },
    async set(name, value) {
      return await store.secrets.put(name, await encrypt(await masterKey(), value));
    },
    async list() {
      return (await store.secrets.list()).map(({ valueEnc: _, ...meta }) => meta);
    },
    remove: (name) => store.secrets.remove(name),
    encrypt: async (plain) => encrypt(await masterKey(), plain),
    decrypt: async (cipher) => decrypt(await masterKey(), cipher),
  };
  // Settings are read often (each job, each queue pass); another process may change them, so
  // a read is reused for at most a second.
  let cached: { at: number; value: Promise<Settings> } | undefined;
  const settings = (fresh = false) => {
    const now = Date.now();
    if (fresh || !cached || now - cached.at > 1000) {
      cached = { at: now, value: loadSettings(store) };
      cached.value.catch(() => cached = undefined);
    }
    return cached.value;
  };
  return {
    dataDir,
    node: Deno.hostname(),
    store,
    secrets,
    vfs: createVfsLibrary(store, secrets),
    bus: createBus(),
    settings,
    close: () => store.close(),
  };
}
