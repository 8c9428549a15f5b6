/**
 * `aft restore FILE [--data DIR] [--force]`: a backup made by `aft backup` into a data
 * directory no service runs on. An existing store (and TLS material, master key) is replaced
 * only with `--force`. The restored database is checked (`PRAGMA integrity_check`).
 *
 * @module
 */

import { resolve } from "node:path";
import { CliError, UsageError } from "../errors.ts";
import { createEngine, restoreBackup } from "../engine/mod.ts";
import type { GlobalOptions } from "./_output.ts";
import { maintenanceDataDir } from "./_service_data.ts";

/** Options of `aft restore`. */
export interface RestoreOptions extends GlobalOptions {
  force?: boolean;
}

/** Entry of `aft restore`. */
export default async function restore(
  _action: string,
  args: string[],
  opts: RestoreOptions,
): Promise<number> {
  if (args.length !== 1) throw new UsageError("aft restore takes one backup file");
  const dataDir = await maintenanceDataDir(opts.data);
  const { manifest, restored } = await restoreBackup(resolve(args[0]!), dataDir, {
    force: opts.force === true,
  });
  console.error(
    `aft: restored ${
      restored.join(", ") || "nothing"
    } into "${dataDir}" (backup of ${manifest.created}, aft ${manifest.aftVersion})`,
  );
  if (restored.includes("aft.db")) {
    const engine = await createEngine({ dataDir });
    try {
      const problems = await engine.maintenance.integrityCheck();
      if (problems && problems.length > 0) {
        throw new CliError(`The restored database fails its integrity check: ${problems[0]}`);
      }
      console.error("aft: the restored database passes its integrity check");
      const failed = await engine.maintenance.failRunning(
        `Interrupted: the job was running when the backup restored here was taken (${manifest.created})`,
      );
      if (failed > 0) {
        console.error(
          `aft: ${failed} job(s) running when the backup was taken marked failed (they ran on where the backup came from)`,
        );
      }
      if (manifest.masterKey) {
        // The key came with the store: it must read the store's secrets.
        try {
          await engine.maintenance.checkMasterKey();
        } catch (err) {
          if ((err as { code?: string }).code !== "MASTER_KEY_MISMATCH") throw err;
          throw new CliError(
            "The restored master key does not decrypt the restored store's secrets: " +
              (Deno.env.get("AFT_MASTER_KEY")
                ? "AFT_MASTER_KEY is set, and takes the place of master.key: unset it"
                : "the backup is damaged; restore another one with --force"),
          );
        }
        console.error("aft: the restored master key decrypts the restored store's secrets");
      }
    } finally {
      await engine.close();
    }
  } else if (manifest.store === "postgres") {
    console.error("aft: the store is PostgreSQL: restore its database with pg_restore");
  }
  if (!manifest.masterKey) {
    console.error(
      "aft: the backup holds no master key: secrets decrypt only with the original master.key " +
        "(copy it into the data directory, or set AFT_MASTER_KEY)",
    );
  }
  return 0;
}
