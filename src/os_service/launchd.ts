/**
 * launchd (macOS): the daemon plist `aft svc install` writes to /Library/LaunchDaemons and the
 * `launchctl` calls that manage it (`bootstrap`, `bootout`, `kickstart`). The daemon starts
 * at boot (`RunAtLoad`), is started again when it fails (`KeepAlive` unless it exited
 * cleanly), and gets more time than the jobs' halt grace period to stop (`ExitTimeOut`).
 *
 * @module
 */

import { join } from "node:path";
import { CliError } from "../errors.ts";
import { mustRun, runTool } from "./exec.ts";
import type { ServiceManager, ServicePlan, ServiceStatus } from "./types.ts";

/** The daemon's label (and plist name). */
export const LABEL = "aft.service";

/** Text for a plist `<string>`. */
function xml(text: string): string {
  return text.replace(/&/g, "&amp;").replace(/</g, "&lt;").replace(/>/g, "&gt;");
}

/** Where the daemon's standard output and error go (the service's own log is beside it). */
export function launchdLogFile(dataDir: string): string {
  return join(dataDir, "logs", "launchd.log");
}

/** The plist's text for `plan`. */
export function launchdPlist(plan: ServicePlan): string {
  // --quiet: warnings and errors only on stderr, which launchd appends to a file it never
  // rotates; everything is in DATA/logs/aft.log, which aft rotates.
  const args = [...plan.command, "serve", "--data", plan.dataDir, "--quiet"];
  if (plan.listen) args.push("--listen", plan.listen);
  const log = launchdLogFile(plan.dataDir);
  const lines = [
    '<?xml version="1.0" encoding="UTF-8"?>',
    '<!DOCTYPE plist PUBLIC "-//Apple//DTD PLIST 1.0//EN" "http://www.apple.com/DTDs/PropertyList-1.0.dtd">',
    `<!-- Written by "aft svc install" (aft ${
      xml(plan.version)
    }); "aft svc uninstall" removes it. -->`,
    '<plist version="1.0">',
    "<dict>",
    "  <key>Label</key>",
    `  <string>${LABEL}</string>`,
    "  <key>ProgramArguments</key>",
    "  <array>",
    ...args.map((a) => `    <string>${xml(a)}</string>`),
    "  </array>",
    "  <key>RunAtLoad</key>",
    "  <true/>",
    "  <key>KeepAlive</key>",
    "  <dict>",
    "    <key>SuccessfulExit</key>",
    "    <false/>",
    "  </dict>",
    "  <key>ThrottleInterval</key>",
    "  <integer>10</integer>",
    "  <key>ExitTimeOut</key>",
    `  <integer>${plan.stopTimeoutSeconds}</integer>`,
    "  <key>Umask</key>",
    "  <integer>63</integer>",
    ...(plan.user ? ["  <key>UserName</key>", `  <string>${xml(plan.user)}</string>`] : []),
    "  <key>WorkingDirectory</key>",
    `  <string>${xml(plan.dataDir)}</string>`,
    "  <key>StandardOutPath</key>",
    `  <string>${xml(log)}</string>`,
    "  <key>StandardErrorPath</key>",
    `  <string>${xml(log)}</string>`,
    "</dict>",
    "</plist>",
    "",
  ];
  return lines.join("\n");
}

/** The `--data` folder of a plist written by {@link launchdPlist}. */
export function dataDirOfPlist(text: string): string | undefined {
  const m = /<string>--data<\/string>\s*<string>([^<]*)<\/string>/.exec(text);
  return m?.[1]?.replace(/&lt;/g, "<").replace(/&gt;/g, ">").replace(/&amp;/g, "&");
}

/** launchd through `launchctl`, in the system domain; `root` prefixes /Library (tests). */
export class LaunchdManager implements ServiceManager {
  readonly name = "launchd";
  readonly unit: string;
  readonly #target = `system/${LABEL}`;

  constructor(root = "") {
    this.unit = join(root || "/", "Library", "LaunchDaemons", `${LABEL}.plist`);
  }

  defaultDataDir(): string {
    return "/Library/Application Support/aft";
  }

  async install(plan: ServicePlan): Promise<void> {
    // Installed again: the old definition goes first, as launchd reads a plist when it loads.
    if (await this.#loaded()) await mustRun("launchctl", ["bootout", this.#target]);
    await Deno.mkdir(join(this.unit, ".."), { recursive: true });
    await Deno.writeTextFile(this.unit, launchdPlist(plan), { mode: 0o644 });
    await Deno.chmod(this.unit, 0o644);
    await runTool("launchctl", ["enable", this.#target]);
    await mustRun("launchctl", ["bootstrap", "system", this.unit]);
  }

  async uninstall(): Promise<void> {
    if (!await this.#installed()) throw notInstalled();
    if (await this.#loaded()) await mustRun("launchctl", ["bootout", this.#target]);
    await Deno.remove(this.unit);
  }

  async start(): Promise<void> {
    if (!await this.#installed()) throw notInstalled();
    if (await this.#loaded()) await mustRun("launchctl", ["kickstart", this.#target]);
    else await mustRun("launchctl", ["bootstrap", "system", this.unit]);
  }

  async stop(): Promise<void> {
    if (!await this.#installed()) throw notInstalled();
    // Unloading stops it (SIGTERM, then SIGKILL after ExitTimeOut) without KeepAlive starting
    // it again; the plist stays, so it starts at the next boot or "aft svc start".
    if (await this.#loaded()) await mustRun("launchctl", ["bootout", this.#target]);
  }

  async restart(): Promise<void> {
    if (!await this.#installed()) throw notInstalled();
    if (await this.#loaded()) await mustRun("launchctl", ["kickstart", "-k", this.#target]);
    else await mustRun("launchctl", ["bootstrap", "system", this.unit]);
  }

  async status(): Promise<ServiceStatus> {
    const text = await Deno.readTextFile(this.unit).catch(() => undefined);
    if (text === undefined) return { state: "not installed", unit: this.unit };
    const dataDir = dataDirOfPlist(text);
    const r = await runTool("launchctl", ["print", this.#target]);
    const pid = Number(/^\s*pid = (\d+)/m.exec(r.stdout)?.[1] ?? 0);
    const running = r.code === 0 && /^\s*state = running/m.test(r.stdout);
    return {
      state: running ? "running" : "stopped",
      ...(running && pid > 0 ? { pid } : {}),
      unit: this.unit,
      dataDir,
      log: dataDir
        ? `${join(dataDir, "logs", "aft.log")} (start-up errors: ${launchdLogFile(dataDir)})`
        : undefined,
    };
  }

  async #installed(): Promise<boolean> {
    return await Deno.stat(this.unit).then(() => true, () => false);
  }

  async #loaded(): Promise<boolean> {
    return (await runTool("launchctl", ["print", this.#target])).code === 0;
  }
}

function notInstalled(): CliError {
  return new CliError('The service is not installed: install it with "sudo aft svc install"');
}
