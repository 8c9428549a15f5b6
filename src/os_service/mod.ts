/**
 * Running aft as an operating-system service: systemd on Linux, launchd on macOS, the Service
 * Control Manager on Windows. `aft svc` picks the manager of the platform; tests pick one with
 * `AFT_SVC_MANAGER` (`systemd`, `launchd`) and put its files under `AFT_SVC_ROOT`.
 *
 * @example
 * ```ts
 * const manager = await serviceManager();
 * console.log((await manager.status()).state); // "running", "stopped" or "not installed"
 * ```
 * @module
 */

import { CliError } from "../errors.ts";
import type { ServiceManager } from "./types.ts";

export type { ServiceManager, ServicePlan, ServiceStatus } from "./types.ts";
export { privileged, privilegeProblem, requirePrivilege } from "./privilege.ts";
export { hasControl, selfCommand } from "./self_command.ts";

/** The service manager of this platform (or the one `AFT_SVC_MANAGER` names). */
export async function serviceManager(): Promise<ServiceManager> {
  const root = Deno.env.get("AFT_SVC_ROOT") ?? "";
  const kind = Deno.env.get("AFT_SVC_MANAGER") ??
    ({ linux: "systemd", darwin: "launchd", windows: "windows" } as Record<string, string>)[
      Deno.build.os
    ];
  switch (kind) {
    case "systemd":
      return new (await import("./systemd.ts")).SystemdManager(root);
    case "launchd":
      return new (await import("./launchd.ts")).LaunchdManager(root);
    case "windows":
      return new (await import("./windows_scm.ts")).WindowsScmManager();
  }
  throw new CliError(`aft svc does not know the service manager of ${Deno.build.os}`);
}
