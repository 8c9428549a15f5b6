/**
 * The Windows Service Control Manager through advapi32: `aft svc` registers aft as a service
 * in its own process (`CreateServiceW`, started automatically at boot, run as LocalSystem),
 * restarted by the SCM when it fails (`SERVICE_CONFIG_FAILURE_ACTIONS`, also for a non-zero
 * exit), and starts, stops and queries it. The service runs `aft serve --windows-service`,
 * which answers the SCM (`windows_service.ts`).
 *
 * @module
 */

import { join } from "node:path";
import { CliError } from "../errors.ts";
import type { ServiceManager, ServicePlan, ServiceStatus } from "./types.ts";
import {
  addressOf,
  advapi32,
  CONTROL,
  decodeStatus,
  encodeFailureActions,
  ERROR_SERVICE_ALREADY_RUNNING,
  ERROR_SERVICE_DOES_NOT_EXIST,
  ERROR_SERVICE_NOT_ACTIVE,
  lastError,
  readWide,
  SC_MANAGER_ALL_ACCESS,
  SC_MANAGER_CONNECT,
  SERVICE_ALL_ACCESS,
  SERVICE_AUTO_START,
  SERVICE_CONFIG_DESCRIPTION,
  SERVICE_CONFIG_FAILURE_ACTIONS,
  SERVICE_CONFIG_FAILURE_ACTIONS_FLAG,
  SERVICE_ERROR_NORMAL,
  SERVICE_QUERY_CONFIG,
  SERVICE_QUERY_STATUS,
  SERVICE_WIN32_OWN_PROCESS,
  STATE,
  wide,
} from "./windows_ffi.ts";

/** The service's name in the SCM (`sc query aft`). */
export const SERVICE_NAME = "aft";
const DISPLAY_NAME = "aft (automated file transfer)";
const DESCRIPTION =
  "aft: scriptable automated file transfer (REST API, job queue, schedules). Managed with aft svc.";

/** One argument of a Windows command line, quoted as CommandLineToArgvW reads it. */
export function windowsArg(arg: string): string {
  if (arg !== "" && !/[\s"]/.test(arg)) return arg;
  let out = '"';
  let slashes = 0;
  for (const ch of arg) {
    if (ch === "\\") {
      slashes++;
      continue;
    }
    if (ch === '"') out += "\\".repeat(slashes * 2 + 1) + '"';
    else out += "\\".repeat(slashes) + ch;
    slashes = 0;
  }
  return out + "\\".repeat(slashes * 2) + '"';
}

/** The service's command line (the SCM's "binary path") for `plan`. */
export function windowsCommandLine(plan: ServicePlan): string {
  const args = [...plan.command, "serve", "--windows-service", "--data", plan.dataDir];
  if (plan.listen) args.push("--listen", plan.listen);
  return args.map(windowsArg).join(" ");
}

/** The `--data` folder of a command line written by {@link windowsCommandLine}. */
export function dataDirOfCommandLine(line: string): string | undefined {
  const m = /\s--data\s+("((?:[^"\\]|\\.)*)"|(\S+))/.exec(line);
  if (!m) return undefined;
  return m[3] ?? m[2]!.replace(/\\(["\\])/g, "$1");
}

function fail(what: string, code = lastError()): never {
  throw new CliError(`${what} failed: Windows error ${code}`);
}

function sleep(ms: number): Promise<void> {
  return new Promise((r) => setTimeout(r, ms));
}

/** The Windows Service Control Manager (advapi32 through FFI). */
export class WindowsScmManager implements ServiceManager {
  readonly name = "Windows Service Control Manager";
  readonly unit = SERVICE_NAME;

  defaultDataDir(): string {
    return join(Deno.env.get("ProgramData") ?? "C:\\ProgramData", "aft");
  }

  #withScm<T>(fn: (scm: Deno.PointerObject) => T, access = SC_MANAGER_ALL_ACCESS): T {
    const api = advapi32();
    const scm = api.OpenSCManagerW(null, null, access);
    if (!scm) fail("Opening the Service Control Manager");
    try {
      return fn(scm);
    } finally {
      api.CloseServiceHandle(scm);
    }
  }

  /** Runs `fn` with the service's handle, or returns undefined when it is not installed. */
  #withService<T>(
    fn: (svc: Deno.PointerObject) => T,
    readOnly = false,
  ): T | undefined {
    const api = advapi32();
    return this.#withScm((scm) => {
      const svc = api.OpenServiceW(
        scm,
        wide(SERVICE_NAME),
        readOnly ? SERVICE_QUERY_CONFIG | SERVICE_QUERY_STATUS : SERVICE_ALL_ACCESS,
      );
      if (!svc) {
        const code = lastError();
        // 0: the last error was lost between the calls; nothing else failed, so none is there.
        if (code === ERROR_SERVICE_DOES_NOT_EXIST || code === 0) return undefined;
        fail(`Opening the service "${SERVICE_NAME}"`, code);
      }
      try {
        return fn(svc);
      } finally {
        api.CloseServiceHandle(svc);
      }
    }, readOnly ? SC_MANAGER_CONNECT : SC_MANAGER_ALL_ACCESS);
  }

  #state(svc: Deno.PointerObject): { state: number; pid?: number } {
    const buf = new Uint8Array(28);
    if (!advapi32().QueryServiceStatus(svc, buf)) fail("QueryServiceStatus");
    return { state: decodeStatus(buf).currentState };
  }

  async #waitFor(state: number, seconds: number): Promise<void> {
    for (let i = 0; i < seconds * 4; i++) {
      const now = this.#withService((svc) => this.#state(svc).state, true);
      if (now === state || now === undefined) return;
      await sleep(250);
    }
    throw new CliError(`The service did not reach the expected state in ${seconds} s`);
  }

  async install(plan: ServicePlan): Promise<void> {
    if (plan.user) {
      throw new CliError(
        "--user is not supported on Windows: the service runs as LocalSystem (change its account in services.msc)",
      );
    }
    const api = advapi32();
    const existed = this.#withService(() => true) ?? false;
    if (existed) await this.uninstall();
    this.#withScm((scm) => {
      const svc = api.CreateServiceW(
        scm,
        wide(SERVICE_NAME),
        wide(DISPLAY_NAME),
        SERVICE_ALL_ACCESS,
        SERVICE_WIN32_OWN_PROCESS,
        SERVICE_AUTO_START,
        SERVICE_ERROR_NORMAL,
        wide(windowsCommandLine(plan)),
        null,
        null,
        null,
        null,
        null,
      );
      if (!svc) fail("CreateServiceW");
      try {
        const text = wide(DESCRIPTION);
        const desc = new BigUint64Array([addressOf(text)]);
        api.ChangeServiceConfig2W(svc, SERVICE_CONFIG_DESCRIPTION, new Uint8Array(desc.buffer));
        // Restart after 5 s, 10 s, then every 30 s; the count of failures resets after a day.
        const fa = encodeFailureActions(86400, [5000, 10000, 30000]);
        if (!api.ChangeServiceConfig2W(svc, SERVICE_CONFIG_FAILURE_ACTIONS, fa.struct)) {
          fail("ChangeServiceConfig2W(SERVICE_CONFIG_FAILURE_ACTIONS)");
        }
        void fa.actions;
        // A stop with a non-zero exit code counts as a failure too (not only a crash).
        const flag = new Uint8Array(4);
        new DataView(flag.buffer).setInt32(0, 1, true);
        api.ChangeServiceConfig2W(svc, SERVICE_CONFIG_FAILURE_ACTIONS_FLAG, flag);
        void text;
      } finally {
        api.CloseServiceHandle(svc);
      }
    });
    await this.start();
  }

  async uninstall(): Promise<void> {
    const found = this.#withService(() => true);
    if (!found) throw notInstalled();
    await this.stop();
    this.#withService((svc) => {
      if (!advapi32().DeleteService(svc)) fail("DeleteService");
    });
  }

  async start(): Promise<void> {
    const r = this.#withService((svc) => {
      if (advapi32().StartServiceW(svc, 0, null)) return true;
      const code = lastError();
      if (code !== ERROR_SERVICE_ALREADY_RUNNING) fail("StartServiceW", code);
      return true;
    });
    if (!r) throw notInstalled();
    await this.#waitFor(STATE.RUNNING, 60);
  }

  async stop(): Promise<void> {
    const r = this.#withService((svc) => {
      const buf = new Uint8Array(28);
      if (advapi32().ControlService(svc, CONTROL.STOP, buf)) return true;
      const code = lastError();
      if (code !== ERROR_SERVICE_NOT_ACTIVE) fail("ControlService(SERVICE_CONTROL_STOP)", code);
      return true;
    });
    if (!r) throw notInstalled();
    // The service waits for its jobs' halt grace period: give it as long as a stop may take.
    await this.#waitFor(STATE.STOPPED, 600);
  }

  async restart(): Promise<void> {
    await this.stop();
    await this.start();
  }

  status(): Promise<ServiceStatus> {
    const found = this.#withService((svc) => {
      const { state } = this.#state(svc);
      const need = new Uint32Array(1);
      advapi32().QueryServiceConfigW(svc, null, 0, new Uint8Array(need.buffer));
      const buf = new Uint8Array(Math.max(need[0]!, 64) + 16);
      let dataDir: string | undefined;
      if (advapi32().QueryServiceConfigW(svc, buf, buf.length, new Uint8Array(need.buffer))) {
        // QUERY_SERVICE_CONFIGW: three DWORDs, padding, then lpBinaryPathName at offset 16.
        const ptr = Deno.UnsafePointer.create(
          new DataView(buf.buffer).getBigUint64(16, true),
        );
        dataDir = dataDirOfCommandLine(readWide(ptr));
      }
      return { state, dataDir };
    }, true);
    if (!found) return Promise.resolve({ state: "not installed", unit: this.unit });
    const running = found.state !== STATE.STOPPED;
    return Promise.resolve({
      state: running ? "running" : "stopped",
      unit: this.unit,
      dataDir: found.dataDir,
      log: found.dataDir ? join(found.dataDir, "logs", "aft.log") : undefined,
    });
  }
}

function notInstalled(): CliError {
  return new CliError(
    'The service is not installed: install it with "aft svc install" from an elevated PowerShell',
  );
}
