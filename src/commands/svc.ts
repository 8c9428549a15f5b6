/**
 * `aft svc install | uninstall | start | stop | restart | status`: aft as an operating-system
 * service (systemd, launchd, the Windows Service Control Manager), started at boot and again
 * after a failure. Changing it needs root (an elevated administrator on Windows); `status`
 * does not. `uninstall` leaves the data directory in place.
 *
 * @module
 */

import { join, resolve } from "node:path";
import { CliError, UsageError } from "../errors.ts";
import { createEngine, defaultSettings, EngineError, escapeControls } from "../engine/mod.ts";
import {
  hasControl,
  requirePrivilege,
  selfCommand,
  type ServiceManager,
  serviceManager,
  type ServicePlan,
} from "../os_service/mod.ts";
import { VERSION } from "../version.ts";
import { type GlobalOptions, printJson } from "./_output.ts";
import { serviceLogFile } from "./_serve_log.ts";

/** Options of `aft svc`. */
export interface SvcOptions extends GlobalOptions {
  listen?: string;
  user?: string;
  store?: string;
  json?: boolean;
}

/** Seconds a stop may take beyond the halt grace period (runners exit, the store closes). */
const STOP_MARGIN_SECONDS = 30;

/** Entry of `aft svc`. */
export default async function svc(
  action: string,
  args: string[],
  opts: SvcOptions,
): Promise<number> {
  if (args.length > 0) throw new UsageError(`aft svc ${action} takes no arguments`);
  const manager = await serviceManager();
  if (action === "status") return await status(manager, opts);
  requirePrivilege(`svc ${action}`);
  switch (action) {
    case "install":
      return await install(manager, opts);
    case "uninstall": {
      const before = await manager.status();
      await manager.uninstall();
      console.error(
        `aft: removed the ${manager.name} service (${manager.unit}); the data directory${
          before.dataDir ? ` "${before.dataDir}"` : ""
        } is kept: remove it yourself when it is no longer needed`,
      );
      return 0;
    }
    case "start":
      await manager.start();
      console.error("aft: the service is started");
      return 0;
    case "stop":
      await manager.stop();
      console.error("aft: the service is stopped");
      return 0;
    case "restart":
      await manager.restart();
      console.error("aft: the service is restarted");
      return 0;
  }
  throw new UsageError(`Unknown action "aft svc ${action}"`);
}

async function install(manager: ServiceManager, opts: SvcOptions): Promise<number> {
  const dataDir = opts.data ? resolve(opts.data) : manager.defaultDataDir();
  for (
    const [what, value] of [["--data", dataDir], ["--listen", opts.listen], ["--user", opts.user]]
  ) {
    if (value !== undefined && hasControl(value)) {
      throw new UsageError(`${what} must not hold control characters: "${escapeControls(value)}"`);
    }
  }
  if (opts.listen !== undefined) {
    const m = /^(\[[0-9A-Fa-f:.]+\]|[^\s:\[\]]+):(\d{1,5})$/.exec(opts.listen);
    if (!m || Number(m[2]) < 1 || Number(m[2]) > 65535) {
      throw new UsageError(`--listen takes HOST:PORT, not "${opts.listen}"`);
    }
  }
  if (opts.user !== undefined && !/^[A-Za-z0-9_][A-Za-z0-9_.-]*\$?$/.test(opts.user)) {
    throw new UsageError(`"${opts.user}" is not a user name`);
  }
  const owner = opts.user && Deno.build.os !== "windows" ? await accountIds(opts.user) : undefined;

  await Deno.mkdir(dataDir, { recursive: true, mode: 0o700 });
  if (opts.store) await writeStoreConfig(dataDir, opts.store);
  // The unit follows the settings: how long jobs get to stop, which folders they write to.
  // A store that does not answer yet (a database started after this host) is no reason to
  // refuse the install: the unit gets the default settings, and the warning says how to redo it.
  let settings = defaultSettings();
  try {
    const engine = await createEngine({ dataDir });
    try {
      settings = await engine.settings.get();
    } finally {
      await engine.close();
    }
  } catch (err) {
    if (!(err instanceof EngineError) || err.kind !== "unavailable") throw err;
    console.error(
      `aft: ${err.message}: the unit uses the default settings (stop timeout, writable ` +
        'folders); run "aft svc install" again once the store answers',
    );
  }
  await Deno.mkdir(join(dataDir, "logs"), { recursive: true, mode: 0o700 });
  if (owner) await chownTree(dataDir, owner.uid, owner.gid);

  const roots = [...settings.localRoots, ...settings.scriptRoots].map((p) => resolve(p));
  const plan: ServicePlan = {
    command: selfCommand(),
    dataDir,
    listen: opts.listen,
    user: opts.user,
    stopTimeoutSeconds: settings.haltGraceSeconds + STOP_MARGIN_SECONDS,
    writablePaths: [dataDir, ...new Set(roots.filter((p) => p !== dataDir && !hasControl(p)))],
    anyFolder: settings.localRoots.length === 0,
    version: VERSION,
  };
  await manager.install(plan);
  console.error(
    `aft: installed the ${manager.name} service (${manager.unit}), started now and at boot` +
      `${opts.user ? ` as "${opts.user}"` : ""}; data directory "${dataDir}", log "${
        serviceLogFile(dataDir)
      }"`,
  );
  if (plan.anyFolder && manager.name === "systemd") {
    console.error(
      "aft: localRoots is empty, so jobs may write to any folder and only /usr, /boot and /etc " +
        'are read-only: set localRoots and run "aft svc install" again to lock the rest',
    );
  }
  return 0;
}

/** Numeric user and group of an account (`id`), or a clear error when there is none. */
async function accountIds(user: string): Promise<{ uid: number; gid: number }> {
  const id = async (flag: string) => {
    const out = await new Deno.Command("id", {
      args: [flag, user],
      stdout: "piped",
      stderr: "null",
    })
      .output();
    return out.code === 0 ? Number(new TextDecoder().decode(out.stdout).trim()) : NaN;
  };
  const [uid, gid] = [await id("-u"), await id("-g")];
  if (!Number.isInteger(uid) || !Number.isInteger(gid)) {
    throw new UsageError(`There is no user "${user}" on this machine: create it first`);
  }
  return { uid, gid };
}

async function chownTree(dir: string, uid: number, gid: number): Promise<void> {
  await Deno.chown(dir, uid, gid);
  for await (const e of Deno.readDir(dir)) {
    const path = join(dir, e.name);
    if (e.isDirectory) await chownTree(path, uid, gid);
    else if (!e.isSymlink) await Deno.chown(path, uid, gid);
  }
}

/**
 * Puts `--store` into `DATA/config.json` (private, 0600), where every aft command on the data
 * directory finds it: a password never stands on the service's command line, where `ps`
 * would show it.
 */
async function writeStoreConfig(dataDir: string, store: string): Promise<void> {
  if (!/^(postgres(ql)?:\/\/|sqlite:)/i.test(store.trim())) {
    throw new UsageError(
      "--store takes postgres://USER:PASSWORD@HOST:PORT/DATABASE or sqlite:PATH",
    );
  }
  const path = join(dataDir, "config.json");
  let config: Record<string, unknown> = {};
  try {
    const parsed = JSON.parse(await Deno.readTextFile(path));
    if (parsed && typeof parsed === "object" && !Array.isArray(parsed)) config = parsed;
  } catch (err) {
    if (!(err instanceof Deno.errors.NotFound)) {
      throw new CliError(`Cannot read "${path}": ${(err as Error).message}`);
    }
  }
  config.store = store.trim();
  const tmp = `${path}.${crypto.randomUUID()}.tmp`;
  await Deno.writeTextFile(tmp, JSON.stringify(config, null, 2) + "\n", { mode: 0o600 });
  if (Deno.build.os !== "windows") await Deno.chmod(tmp, 0o600);
  await Deno.rename(tmp, path);
}

async function status(manager: ServiceManager, opts: SvcOptions): Promise<number> {
  const s = await manager.status();
  if (opts.json) {
    printJson({ manager: manager.name, ...s });
  } else {
    console.log(`state:    ${s.state}${s.pid ? ` (pid ${s.pid})` : ""}`);
    console.log(`manager:  ${manager.name}`);
    console.log(`unit:     ${s.unit}`);
    if (s.dataDir) console.log(`data:     ${s.dataDir}`);
    if (s.log) console.log(`log:      ${s.log}`);
  }
  // As init scripts do: 0 running, 3 not running (stopped or not installed).
  return s.state === "running" ? 0 : 3;
}
