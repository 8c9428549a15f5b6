/**
 * `aft reinit`: lock-out recovery. With the service stopped, resets the network settings
 * (listen address, CORS, session lifetime) to their defaults and removes every web UI admin
 * account, so the setup wizard runs again. Scripts, the VFS Library, secrets, API keys (with
 * their allow-lists) and schedules are kept.
 *
 * @module
 */

import { RefusedError, UsageError } from "../errors.ts";
import { createEngine } from "../engine/engine.ts";
import { networkSettingKeys } from "../engine/settings.ts";
import { readServiceFiles, serviceUp } from "../engine/service_file.ts";

/** Entry of `aft reinit`. */
export default async function reinit(
  _action: string,
  args: string[],
  opts: Record<string, unknown>,
): Promise<number> {
  if (args.length > 0) throw new UsageError("aft reinit takes no arguments");
  const engine = await createEngine({ dataDir: opts.data as string | undefined });
  try {
    const svc = await readServiceFiles(engine.dataDir);
    if (svc && await serviceUp(svc.info)) {
      throw new RefusedError(
        `The service is running (pid ${svc.info.pid}, ${svc.info.listen}): stop it before aft reinit`,
      );
    }
    const keys = networkSettingKeys();
    for (const k of keys) await engine.store.settings.remove(k);
    const admins = await engine.store.admins.removeAll();
    console.error(
      `reset ${keys.join(", ")} to their defaults and removed ${admins} admin account(s); ` +
        "scripts, VFS Library, secrets, API keys and schedules are kept",
    );
    return 0;
  } finally {
    await engine.close();
  }
}
