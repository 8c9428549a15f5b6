/**
 * `engine.maintenance`: what keeps a data directory healthy: which store it uses, the store's
 * integrity check (`aft doctor`), whether the master key reads the store (`aft restore`), and
 * backups taken while the service runs (`aft backup`).
 *
 * @module
 */

import { type BackupResult, writeBackup } from "./backup.ts";
import { fromStoreError } from "./errors.ts";
import { checkMasterKey } from "./master_key_check.ts";
import type { EngineCore } from "./types.ts";

export interface MaintenanceOps {
  /** Which store, and where (a file, or a URL without its password). */
  store(): { kind: "sqlite" | "postgres"; location: string };
  /**
   * What the store's own check finds wrong (SQLite `PRAGMA integrity_check`): empty when all
   * is well, undefined where the store has no such check.
   */
  integrityCheck(): Promise<string[] | undefined>;
  /**
   * Refuses (MASTER_KEY_MISMATCH) when this data directory's master key cannot read the
   * store's secrets and VFS credentials; changes nothing.
   */
  checkMasterKey(): Promise<void>;
  /**
   * Fails every job recorded as running, with `reason` (`aft restore`: jobs that were running
   * when the backup was taken ran on in the service the backup came from, or ended with it,
   * and none runs here). Returns how many.
   */
  failRunning(reason: string): Promise<number>;
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
    checkMasterKey: () => checkMasterKey(core, { record: false }),
    async failRunning(reason) {
      let n = 0;
      for (;;) {
        const running = await core.store.jobs.list({ status: "running", limit: 1000 });
        if (running.length === 0) return n;
        n += (await core.store.jobs.failOrphans(running.map((j) => j.id), reason)).length;
      }
    },
    backup: (out, opts) => writeBackup(core, out, opts),
  };
}
