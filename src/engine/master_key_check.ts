/**
 * Every node on one store must hold the same master key: secrets and VFS credentials are
 * encrypted with it, and a node with another key would fail only later, on the first job that
 * needs one. The store keeps a check value (a known text encrypted with the key) under the
 * settings key `_masterKeyCheck`, which no setting uses; a node whose key cannot read it refuses
 * to start, saying so. A store without the check value is checked against its first stored
 * secret or VFS entry (made before this check existed), then given one.
 *
 * @module
 */

import { EngineError } from "./errors.ts";
import type { Store } from "../store/types.ts";
import type { Secrets } from "./types.ts";

/** The settings key of the check value. */
export const CHECK_KEY = "_masterKeyCheck";
const CHECK_TEXT = "aft master key check";

/** What the check uses: the store's settings and encrypted values, and this node's key. */
export interface MasterKeyCheckParts {
  store: Pick<Store, "location" | "settings" | "secrets" | "vfs">;
  secrets: Pick<Secrets, "encrypt" | "decrypt">;
}

const mismatch = (location: string) =>
  new EngineError(
    "MASTER_KEY_MISMATCH",
    `This node's master key is not the one the store ${location} was used with: copy master.key from another node's data directory (or set the same AFT_MASTER_KEY) and start again`,
  );

/** Decrypts `cipher`, or refuses (MASTER_KEY_MISMATCH) when this node's key cannot read it. */
async function readable(
  core: MasterKeyCheckParts,
  cipher: string,
): Promise<string> {
  try {
    return await core.secrets.decrypt(cipher);
  } catch (err) {
    if (err instanceof EngineError && err.code === "MASTER_KEY" && /match/.test(err.message)) {
      throw mismatch(core.store.location);
    }
    throw err;
  }
}

/** Refuses (MASTER_KEY_MISMATCH) when the stored check value is not this node's. */
async function verify(core: MasterKeyCheckParts, stored: unknown) {
  if (typeof stored !== "string" || await readable(core, stored) !== CHECK_TEXT) {
    throw mismatch(core.store.location);
  }
}

/**
 * Refuses (MASTER_KEY_MISMATCH) when this node's master key cannot read the store's values.
 * Nodes that start at once on an empty store with different keys race to give it the check
 * value: it is written only where none is (insert-if-absent), then read back, so the first
 * write stands and every other node checks its key against that one.
 */
export async function checkMasterKey(
  core: MasterKeyCheckParts,
  opts: { record?: boolean } = {},
): Promise<void> {
  const { store, secrets } = core;
  const stored = (await store.settings.all())[CHECK_KEY];
  if (stored !== undefined) return await verify(core, stored);
  const sample = (await store.secrets.list())[0]?.valueEnc ??
    (await store.vfs.list()).find((v) => v.optionsEnc)?.optionsEnc;
  if (sample !== undefined) await readable(core, sample);
  // `record: false`: a look only (aft restore), the store left as it is.
  if (opts.record === false) return;
  await store.settings.add(CHECK_KEY, await secrets.encrypt(CHECK_TEXT));
  await verify(core, (await store.settings.all())[CHECK_KEY]);
}
