/**
 * `engine.maintenance`: what keeps a data directory healthy: which store it uses, the store's
 * integrity check (`aft doctor`), and backups taken while the service runs (`aft backup`).
 *
 * @module
 */

import { type BackupResult, writeBackup } from "./backup.ts";
import { fromStoreError } from "./errors.ts";
import type { EngineCore } from "./types.ts";

export interface MaintenanceOps {
  /** Which store, and where (a file, or a URL without its password). */
  store(): { kind: "sqlite" | "postgres"; location: string };
  /**
   * What the store's own check finds wrong (SQLite `PRAGMA integrity_check`): empty when all
   * is well, undefined where the store has no such check.
   */
  integrityCheck(): Promise<string[] | undefined>;
  /** Writes a backup file (see `backup.ts` for its format) to `out`, a new file. */
  backup(
    out: string,
    opts: { includeMasterKey: boolean; aftVersion: string },
  ): Promise<BackupResult>;
}

/** The maintenance operations over `core`. */
export function createMaintenanceOps(core: EngineCore): MaintenanceOps {
  return {
    store: () => ({
      kind: core.store.kind ?? "sqlite",
      location: core.store.location ?? core.dataDir,
    }),
    async integrityCheck() {
      if (!core.store.integrityCheck) return undefined;
      try {
        return await core.store.integrityCheck();
      } catch (err) {
        throw fromStoreError(err);
      }
    },
    backup: (out, opts) => writeBackup(core, out, opts),
  };
}
