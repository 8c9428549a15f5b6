/**
 * `aft reinit`: lock-out recovery. With the service stopped, resets the network settings
 * (listen address, CORS, session lifetime) to their defaults and removes every web UI admin
 * account, so the setup wizard runs again. Scripts, the VFS Library, secrets, API keys (with
 * their allow-lists) and schedules are kept. As AFT! documents it, it needs root (an elevated
 * administrator on Windows) and the service stopped: `aft svc stop`, `aft reinit`,
 * `aft svc start`.
 *
 * @module
 */

import { CliError, UsageError } from "../errors.ts";
import { createEngine, readServiceFiles, serviceUp } from "../engine/mod.ts";
import { maintenanceDataDir } from "./_service_data.ts";
import { privileged } from "../os_service/mod.ts";
import type { GlobalOptions } from "./_output.ts";

/**
 * Why `aft reinit` may not run, naming each missing condition (the service stopped, root or
 * an elevated administrator) and the commands that fix them; undefined when it may.
 */
export function reinitRefusal(
  state: { privileged: boolean; running?: { pid: number; listen: string } },
  os: typeof Deno.build.os = Deno.build.os,
): string | undefined {
  const { privileged: root, running } = state;
  if (root && !running) return undefined;
  const who = os === "windows" ? "an elevated administrator" : "root";
  const sudo = os === "windows" ? "" : "sudo ";
  const where = os === "windows" ? " from an elevated PowerShell" : "";
  const svc = running ? `the service is running (pid ${running.pid}, ${running.listen})` : "";
  if (running && !root) {
    return `aft reinit needs the service stopped and ${who}: ${svc} and this is not ${who}; stop it before aft reinit with "${sudo}aft svc stop" (or stop aft serve), then run "${sudo}aft reinit"${where}`;
  }
  if (running) {
    return `aft reinit needs the service stopped: ${svc}; stop it before aft reinit with "${sudo}aft svc stop" (or stop aft serve), then run "${sudo}aft reinit"`;
  }
  return `aft reinit needs ${who}: run "${sudo}aft reinit"${where}`;
}

/** Entry of `aft reinit`. */
export default async function reinit(
  _action: string,
  args: string[],
  opts: GlobalOptions,
): Promise<number> {
  if (args.length > 0) throw new UsageError("aft reinit takes no arguments");
  const dataDir = await maintenanceDataDir(opts.data);
  const svc = await readServiceFiles(dataDir);
  const running = svc && await serviceUp(svc.info) ? svc.info : undefined;
  const refusal = reinitRefusal({ privileged: privileged(), running });
  if (refusal) throw new CliError(refusal, 4);
  const engine = await createEngine({ dataDir });
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
