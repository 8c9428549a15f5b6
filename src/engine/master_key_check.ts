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
import type { EngineCore } from "./types.ts";

/** The settings key of the check value. */
export const CHECK_KEY = "_masterKeyCheck";
const CHECK_TEXT = "aft master key check";

const mismatch = (location: string) =>
  new EngineError(
    "MASTER_KEY_MISMATCH",
    `This node's master key is not the one the store ${location} was used with: copy master.key from another node's data directory (or set the same AFT_MASTER_KEY) and start again`,
  );

/** Refuses (MASTER_KEY_MISMATCH) when this node's master key cannot read the store's values. */
export async function checkMasterKey(core: EngineCore): Promise<void> {
  const { store, secrets } = core;
  const stored = (await store.settings.all())[CHECK_KEY];
  if (typeof stored === "string") {
    let plain: string | undefined;
    try {
      plain = await secrets.decrypt(stored);
    } catch (err) {
      if (err instanceof EngineError && err.code === "MASTER_KEY" && /match/.test(err.message)) {
        throw mismatch(store.location);
      }
      throw err;
    }
    if (plain !== CHECK_TEXT) throw mismatch(store.location);
    return;
  }
  const sample = (await store.secrets.list())[0]?.valueEnc ??
    (await store.vfs.list()).find((v) => v.optionsEnc)?.optionsEnc;
  if (sample !== undefined) {
    try {
      await secrets.decrypt(sample);
    } catch (err) {
      if (err instanceof EngineError && err.code === "MASTER_KEY" && /match/.test(err.message)) {
        throw mismatch(store.location);
      }
      throw err;
    }
  }
  await store.settings.set(CHECK_KEY, await secrets.encrypt(CHECK_TEXT));
}
