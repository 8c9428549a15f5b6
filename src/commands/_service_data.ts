/**
 * The data directory of the maintenance commands (`reinit`, `doctor`, `backup`, `restore`):
 * `--data` or `$AFT_HOME` when given; else, for root (an administrator) on a machine where
 * `aft svc install` installed the service, the service's data directory, so that
 * `sudo aft svc stop; sudo aft reinit; sudo aft svc start` acts on the service's data; else the
 * usual default.
 *
 * @module
 */

import { resolveDataDir } from "../engine/mod.ts";

/** The data directory for a maintenance command (see the module's doc). */
export async function maintenanceDataDir(flag: string | undefined): Promise<string> {
  if (flag || Deno.env.get("AFT_HOME")) return resolveDataDir(flag);
  try {
    const { privileged, serviceManager } = await import("../os_service/mod.ts");
    if (privileged()) {
      const status = await (await serviceManager()).status();
      if (status.dataDir) {
        console.error(`aft: the installed service's data directory: ${status.dataDir}`);
        return status.dataDir;
      }
    }
  } catch { /* no service manager here */ }
  return resolveDataDir(flag);
}
