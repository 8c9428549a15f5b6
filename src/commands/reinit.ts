/**
 * `aft reinit`: lock-out recovery. With the service stopped, resets the network settings
 * (listen address, CORS, session lifetime) to their defaults and removes every web UI admin
 * account, so the setup wizard runs again. Scripts, the VFS Library, secrets, API keys (with
 * their allow-lists) and schedules are kept.
 *
 * @module
 */

import { UsageError } from "../errors.ts";
import { createEngine } from "../engine/mod.ts";
import type { GlobalOptions } from "./_output.ts";

/** Entry of `aft reinit`. */
export default async function reinit(
  _action: string,
  args: string[],
  opts: GlobalOptions,
): Promise<number> {
  if (args.length > 0) throw new UsageError("aft reinit takes no arguments");
  const engine = await createEngine({ dataDir: opts.data });
  try {
    const { settings, admins } = await engine.reinit();
    console.error(
      `reset ${settings.join(", ")} to their defaults and removed ${admins} admin account(s); ` +
        "scripts, VFS Library, secrets, API keys and schedules are kept",
    );
    return 0;
  } finally {
    await engine.close();
  }
}
