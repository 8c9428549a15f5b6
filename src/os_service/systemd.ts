/**
 * systemd: the unit `aft svc install` writes (`/etc/systemd/system/aft.service`) and the
 * `systemctl` calls that manage it. The unit restarts aft on failure, gives a graceful stop
 * more time than the jobs' halt grace period, and locks the system down as far as jobs still
 * reach their folders: with localRoots set, the whole file system is read-only
 * (`ProtectSystem=strict`) but for the data directory, localRoots and scriptRoots.
 *
 * @module
 */

import { join } from "node:path";
import { CliError } from "../errors.ts";
import { mustRun, runTool } from "./exec.ts";
import type { ServiceManager, ServicePlan, ServiceStatus } from "./types.ts";

/** The unit's name. */
export const UNIT_NAME = "aft.service";

/** One word of a unit file, quoted so spaces, quotes, `%` and `$` keep their meaning. */
export function unitWord(word: string): string {
  const escaped = word.replace(/\\/g, "\\\\").replace(/"/g, '\\"').replace(/%/g, "%%");
  return `"${escaped}"`;
}

/** An ExecStart word: `$` also means a variable there. */
function execWord(word: string): string {
  return unitWord(word).replace(/\$/g, "$$$$");
}

const HOME_PREFIXES = ["/home", "/root", "/run/user"];

function underHome(path: string): boolean {
  return HOME_PREFIXES.some((p) => path === p || path.startsWith(p + "/"));
}

/** The unit file's text for `plan`. */
export function systemdUnit(plan: ServicePlan): string {
  const args = [...plan.command, "serve", "--data", plan.dataDir];
  if (plan.listen) args.push("--listen", plan.listen);
  const [data, ...others] = plan.writablePaths;
  // The data directory must exist (install makes it); other folders may come later: "-".
  const rw = [unitWord(data ?? plan.dataDir), ...others.map((p) => "-" + unitWord(p))];
  if (!Deno.build.standalone) {
    // From a checkout, deno reads (and may add to) its module cache under the home folder.
    const home = Deno.env.get("HOME");
    if (home) rw.push("-" + unitWord(join(home, ".cache", "deno")));
  }
  // Files under /home (the binary itself, a root) are then read-only rather than hidden.
  const homeUsed = [...plan.writablePaths, plan.command[0] ?? ""].some(underHome) ||
    !Deno.build.standalone;
  const lines = [
    `# Written by "aft svc install" (aft ${plan.version}). Run it again to change this unit`,
    `# (after changing localRoots or scriptRoots too), "aft svc uninstall" to remove it.`,
    "[Unit]",
    "Description=aft: scriptable automated file transfer (REST API, job queue, schedules)",
    "After=network-online.target",
    "Wants=network-online.target",
    "",
    "[Service]",
    "Type=simple",
    `ExecStart=${args.map(execWord).join(" ")}`,
    ...(plan.user ? [`User=${plan.user}`] : []),
    "Restart=on-failure",
    "RestartSec=5",
    // SIGTERM to aft alone: it sends the halt signal to its jobs' runners and waits for them.
    "KillMode=mixed",
    `TimeoutStopSec=${plan.stopTimeoutSeconds}`,
    "UMask=0077",
    "LimitNOFILE=65536",
    "NoNewPrivileges=yes",
    // Without localRoots jobs may write to any folder: only /usr, /boot and /etc are read-only.
    `ProtectSystem=${plan.anyFolder ? "full" : "strict"}`,
    `ReadWritePaths=${rw.join(" ")}`,
    "PrivateTmp=yes",
    ...(plan.anyFolder ? [] : [`ProtectHome=${homeUsed ? "read-only" : "yes"}`]),
    "PrivateDevices=yes",
    "ProtectKernelTunables=yes",
    "ProtectKernelModules=yes",
    "ProtectKernelLogs=yes",
    "ProtectControlGroups=yes",
    "ProtectClock=yes",
    "RestrictSUIDSGID=yes",
    "RestrictRealtime=yes",
    "RestrictNamespaces=yes",
    "LockPersonality=yes",
    "",
    "[Install]",
    "WantedBy=multi-user.target",
    "",
  ];
  return lines.join("\n");
}

/** The `--data` folder of an ExecStart line written by {@link systemdUnit}. */
export function dataDirOfUnit(text: string): string | undefined {
  const line = text.split("\n").find((l) => l.startsWith("ExecStart="));
  const m = line && /"--data" "((?:[^"\\]|\\.)*)"/.exec(line);
  if (!m) return undefined;
  return m[1]!.replace(/\$\$/g, "$").replace(/%%/g, "%").replace(/\\(.)/g, "$1");
}

/** systemd through `systemctl`; `root` prefixes /etc (for tests, `AFT_SVC_ROOT`). */
export class SystemdManager implements ServiceManager {
  readonly name = "systemd";
  readonly unit: string;

  constructor(root = "") {
    this.unit = join(root || "/", "etc", "systemd", "system", UNIT_NAME);
  }

  defaultDataDir(): string {
    return "/var/lib/aft";
  }

  async install(plan: ServicePlan): Promise<void> {
    await Deno.mkdir(join(this.unit, ".."), { recursive: true });
    await Deno.writeTextFile(this.unit, systemdUnit(plan), { mode: 0o644 });
    await Deno.chmod(this.unit, 0o644);
    await mustRun("systemctl", ["daemon-reload"]);
    await mustRun("systemctl", ["enable", UNIT_NAME]);
    // A unit installed again (new flags) restarts with them.
    await mustRun("systemctl", ["restart", UNIT_NAME]);
  }

  async uninstall(): Promise<void> {
    if (!await this.#installed()) throw notInstalled();
    await mustRun("systemctl", ["disable", "--now", UNIT_NAME]);
    await Deno.remove(this.unit);
    await mustRun("systemctl", ["daemon-reload"]);
    await runTool("systemctl", ["reset-failed", UNIT_NAME]);
  }

  async start(): Promise<void> {
    if (!await this.#installed()) throw notInstalled();
    await mustRun("systemctl", ["start", UNIT_NAME]);
  }

  async stop(): Promise<void> {
    if (!await this.#installed()) throw notInstalled();
    await mustRun("systemctl", ["stop", UNIT_NAME]);
  }

  async restart(): Promise<void> {
    if (!await this.#installed()) throw notInstalled();
    await mustRun("systemctl", ["restart", UNIT_NAME]);
  }

  async status(): Promise<ServiceStatus> {
    const text = await Deno.readTextFile(this.unit).catch(() => undefined);
    if (text === undefined) return { state: "not installed", unit: this.unit };
    const dataDir = dataDirOfUnit(text);
    const r = await runTool("systemctl", [
      "show",
      UNIT_NAME,
      "--property=ActiveState,SubState,MainPID",
    ]);
    const props = Object.fromEntries(
      r.stdout.split("\n").map((l) => l.split("=", 2)).filter((kv) => kv.length === 2),
    );
    const pid = Number(props.MainPID ?? 0);
    const running = props.ActiveState === "active" || props.ActiveState === "reloading" ||
      props.ActiveState === "deactivating";
    return {
      state: running ? "running" : "stopped",
      ...(running && pid > 0 ? { pid } : {}),
      unit: this.unit,
      dataDir,
      log: `${dataDir ? join(dataDir, "logs", "aft.log") : "DATA/logs/aft.log"}` +
        ` (and journalctl -u ${UNIT_NAME.replace(/\.service$/, "")})`,
    };
  }

  async #installed(): Promise<boolean> {
    return await Deno.stat(this.unit).then(() => true, () => false);
  }
}

function notInstalled(): CliError {
  return new CliError('The service is not installed: install it with "sudo aft svc install"');
}
