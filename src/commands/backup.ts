/**
 * `aft backup --out FILE [--include-master-key]`: a consistent copy of the store (SQLite's
 * `VACUUM INTO`, also while the service runs) with the TLS material, in one private file. The
 * master key goes in only when asked, with a warning; on PostgreSQL the database itself is
 * backed up with `pg_dump`.
 *
 * @module
 */

import { resolve } from "node:path";
import { CliError, UsageError } from "../errors.ts";
import { createEngine } from "../engine/mod.ts";
import { VERSION } from "../version.ts";
import type { GlobalOptions } from "./_output.ts";
import { maintenanceDataDir } from "./_service_data.ts";

/** Options of `aft backup`. */
export interface BackupOptions extends GlobalOptions {
  out: string;
  includeMasterKey?: boolean;
}

/** Entry of `aft backup`. */
export default async function backup(
  _action: string,
  args: string[],
  opts: BackupOptions,
): Promise<number> {
  if (args.length > 0) throw new UsageError("aft backup takes no arguments: use --out FILE");
  const out = resolve(opts.out);
  const dataDir = await maintenanceDataDir(opts.data);
  // Opening the store would make a new, empty one: there is nothing to back up.
  if (!(await Deno.stat(dataDir).catch(() => undefined))?.isDirectory) {
    throw new CliError(`No data directory "${dataDir}": point --data at the one to back up`);
  }
  const engine = await createEngine({ dataDir });
  try {
    const { manifest, storeIncluded } = await engine.maintenance.backup(out, {
      includeMasterKey: opts.includeMasterKey === true,
      aftVersion: VERSION,
    });
    const what = manifest.files.map((f) => f.name).join(", ");
    console.error(`aft: wrote the backup "${out}" (${what || "nothing but the manifest"})`);
    if (!storeIncluded) {
      console.error(
        `aft: the store is ${manifest.store} (${engine.maintenance.store().location}): back its ` +
          "database up with pg_dump (e.g. pg_dump -Fc -f aft.dump DATABASE); this file holds the " +
          "TLS material" + (manifest.masterKey ? " and the master key" : ""),
      );
    }
    if (manifest.masterKey) {
      console.error(
        "aft: WARNING: the backup holds the master key, so it decrypts every secret and VFS " +
          "credential: keep it as safe as the data directory itself",
      );
    } else if (opts.includeMasterKey) {
      console.error("aft: there is no master key yet (no secret was ever stored)");
    } else {
      console.error(
        "aft: the master key is not in the backup: secrets restore only with the data " +
          "directory's master.key (or AFT_MASTER_KEY); add --include-master-key to take it along",
      );
    }
    return 0;
  } finally {
    await engine.close();
  }
}
