/**
 * `aft doctor [--vfs] [--json]`: checks what usually goes wrong with an install and says how
 * to fix each finding: permissions of the data directory and its keys, the database's
 * integrity, free disk space, the listen port, the TLS certificate's expiry, whether the
 * service runs (and which version), SMTP, and with `--vfs` every VFS Library entry. Exit 0
 * when nothing failed (warnings included), 1 otherwise.
 *
 * @module
 */

import { UsageError } from "../errors.ts";
import { createEngine, type Engine, readServiceFiles, serviceUp } from "../engine/mod.ts";
import { esc, type GlobalOptions, printJson } from "./_output.ts";
import { maintenanceDataDir } from "./_service_data.ts";
import {
  type Check,
  checkCertificate,
  checkDisk,
  checkPermissions,
  checkPort,
  checkRootFolders,
  checkService,
  checkSmtp,
  checkStore,
  checkStoredNames,
  checkVfs,
  storeFailureFix,
} from "./_doctor_checks.ts";

/** Options of `aft doctor`. */
export interface DoctorOptions extends GlobalOptions {
  vfs?: boolean;
  json?: boolean;
}

const MARK: Record<Check["status"], string> = {
  ok: "ok",
  warn: "WARN",
  fail: "FAIL",
  skip: "skip",
};

/** Entry of `aft doctor`. */
export default async function doctor(
  _action: string,
  args: string[],
  opts: DoctorOptions,
): Promise<number> {
  if (args.length > 0) throw new UsageError("aft doctor takes no arguments");
  const dataDir = await maintenanceDataDir(opts.data);
  const checks: Check[] = [];
  const st = await Deno.stat(dataDir).catch(() => undefined);
  if (!st?.isDirectory) {
    // Nothing else can be checked, and opening the store would make an empty data directory.
    checks.push({
      name: "data directory",
      status: "fail",
      detail: st ? `"${dataDir}" is not a folder` : `"${dataDir}" does not exist`,
      fix: "run aft serve (or sudo aft svc install) once, or point --data at the right folder",
    });
    return report(dataDir, checks, opts.json === true);
  }
  // Files first: opening the engine would make the data directory private and hide the finding.
  checks.push(...await checkPermissions(dataDir));
  checks.push(await checkDisk(dataDir));
  const running = await readServiceFiles(dataDir);
  const up = running ? await serviceUp(running.info) : false;

  let engine: Engine | undefined;
  try {
    engine = await createEngine({ dataDir, log: () => {} });
  } catch (err) {
    checks.push({
      name: "database integrity",
      status: "fail",
      detail: `the store does not open: ${(err as Error).message}`,
      fix: await storeFailureFix(dataDir),
    });
  }
  try {
    if (engine) checks.push(await checkStore(engine, dataDir));
    if (engine) checks.push(await checkStoredNames(engine));
    const settings = engine ? await engine.settings.get().catch(() => undefined) : undefined;
    // The service's own address while it runs (--listen may differ from the setting).
    const listen = up && running ? running.info.listen : settings?.listen ?? "127.0.0.1:44399";
    checks.push(
      checkPort(listen, up ? running?.info : undefined),
    );
    checks.push(await checkCertificate(dataDir));
    checks.push(await checkService(running, up, await managerHint()));
    if (settings) checks.push(checkRootFolders(settings));
    if (settings) checks.push(await checkSmtp(settings));
    if (opts.vfs && engine) checks.push(...await checkVfs(engine));
  } finally {
    await engine?.close();
  }

  return report(dataDir, checks, opts.json === true);
}

/** Prints the findings (as JSON when asked); 0 when none failed, else 1. */
function report(dataDir: string, checks: Check[], json: boolean): number {
  const failed = checks.filter((c) => c.status === "fail").length;
  const warned = checks.filter((c) => c.status === "warn").length;
  if (json) {
    printJson({ dataDir, ok: failed === 0, checks });
  } else {
    console.log(`aft doctor: data directory ${dataDir}`);
    for (const c of checks) {
      // A check's detail may quote what a server or the store answered.
      console.log(`${MARK[c.status].padEnd(4)}  ${c.name}: ${esc(c.detail)}`);
      if (c.fix && (c.status === "fail" || c.status === "warn")) {
        console.log(`      fix: ${esc(c.fix)}`);
      }
    }
    console.log(
      failed === 0
        ? `all is well${warned > 0 ? ` (${warned} warning(s))` : ""}`
        : `${failed} problem(s)${warned > 0 ? `, ${warned} warning(s)` : ""}`,
    );
  }
  return failed === 0 ? 0 : 1;
}

/** How to start the service here: through the installed service, else aft serve. */
async function managerHint(): Promise<string | undefined> {
  try {
    const { serviceManager } = await import("../os_service/mod.ts");
    const m = await serviceManager();
    const s = await m.status();
    if (s.state === "not installed") return undefined;
    return `the ${m.name} service is ${s.state}: start it with ${
      Deno.build.os === "windows" ? "aft svc start (elevated PowerShell)" : "sudo aft svc start"
    }, and see its log: ${s.log ?? "DATA/logs/aft.log"}`;
  } catch {
    return undefined;
  }
}
