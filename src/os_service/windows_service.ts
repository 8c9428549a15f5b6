/**
 * The service side on Windows: `aft serve --windows-service` connects to the Service Control
 * Manager (`StartServiceCtrlDispatcherW`, which blocks until the service stops, so it runs as
 * a nonblocking FFI call), registers a control handler (`RegisterServiceCtrlHandlerExW`) and
 * reports its state (`SetServiceStatus`). A stop or shutdown request from the SCM starts the
 * same graceful stop as Ctrl-C in `aft serve`. The SCM calls ServiceMain and the handler on
 * its own threads: both are thread-safe callbacks, run on Deno's event loop.
 *
 * @module
 */

import { CliError } from "../errors.ts";
import {
  ACCEPT_SHUTDOWN,
  ACCEPT_STOP,
  addressOf,
  advapi32,
  CONTROL,
  encodeStatus,
  ERROR_CALL_NOT_IMPLEMENTED,
  ERROR_FAILED_SERVICE_CONTROLLER_CONNECT,
  ERROR_SERVICE_SPECIFIC_ERROR,
  lastError,
  NO_ERROR,
  SERVICE_WIN32_OWN_PROCESS,
  STATE,
  wide,
} from "./windows_ffi.ts";
import { SERVICE_NAME } from "./windows_scm.ts";

/** The running service's link to the SCM. */
export interface WindowsServiceLink {
  /** Tells the SCM the service runs and accepts stop and shutdown. */
  running(): void;
  /** Tells the SCM a stop is under way and may take up to `waitMs`. */
  stopping(waitMs: number): void;
  /** Tells the SCM the service stopped (`exitCode` 0, or a failure that triggers recovery). */
  stopped(exitCode: number): Promise<void>;
}

/**
 * Connects to the SCM as the service `aft`; `onStop` is called once when the SCM asks the
 * service to stop (or the machine shuts down). Resolves when the SCM has called ServiceMain.
 */
export async function connectWindowsService(
  onStop: () => void,
): Promise<WindowsServiceLink> {
  const api = advapi32();
  const name = wide(SERVICE_NAME);
  let handle: Deno.PointerValue = null;
  let checkPoint = 0;
  let state: number = STATE.START_PENDING;
  const report = (currentState: number, opts: { exitCode?: number; waitMs?: number } = {}) => {
    state = currentState;
    const pending = currentState === STATE.START_PENDING || currentState === STATE.STOP_PENDING;
    const failed = (opts.exitCode ?? 0) !== 0;
    api.SetServiceStatus(
      handle,
      encodeStatus({
        serviceType: SERVICE_WIN32_OWN_PROCESS,
        currentState,
        controlsAccepted: currentState === STATE.RUNNING ? ACCEPT_STOP | ACCEPT_SHUTDOWN : 0,
        win32ExitCode: failed ? ERROR_SERVICE_SPECIFIC_ERROR : NO_ERROR,
        serviceSpecificExitCode: opts.exitCode ?? 0,
        checkPoint: pending ? ++checkPoint : 0,
        waitHint: pending ? opts.waitMs ?? 30_000 : 0,
      }),
    );
  };

  let stopAsked = false;
  const handler = Deno.UnsafeCallback.threadSafe(
    { parameters: ["u32", "u32", "pointer", "pointer"], result: "u32" } as const,
    (control) => {
      if (control === CONTROL.STOP || control === CONTROL.SHUTDOWN) {
        if (!stopAsked) {
          stopAsked = true;
          report(STATE.STOP_PENDING);
          queueMicrotask(onStop);
        }
        return NO_ERROR;
      }
      if (control === CONTROL.INTERROGATE) return NO_ERROR;
      return ERROR_CALL_NOT_IMPLEMENTED;
    },
  );
  const main = Promise.withResolvers<void>();
  const serviceMain = Deno.UnsafeCallback.threadSafe(
    { parameters: ["u32", "pointer"], result: "void" } as const,
    () => {
      handle = api.RegisterServiceCtrlHandlerExW(name, handler.pointer, null);
      if (!handle) {
        main.reject(
          new CliError(`RegisterServiceCtrlHandlerExW failed: Windows error ${lastError()}`),
        );
        return;
      }
      report(STATE.START_PENDING);
      main.resolve();
    },
  );
  // SERVICE_TABLE_ENTRYW[2]: { name, ServiceMain }, then the terminating { NULL, NULL }.
  const table = new BigUint64Array([addressOf(name), addressOf(serviceMain.pointer), 0n, 0n]);
  const dispatcher = api.StartServiceCtrlDispatcherW(new Uint8Array(table.buffer)).then((ok) => {
    const code = ok ? 0 : lastError();
    void table;
    return code;
  });
  // The dispatcher returning before ServiceMain ran means the SCM did not start this process.
  const early = dispatcher.then((code) => {
    throw code === ERROR_FAILED_SERVICE_CONTROLLER_CONNECT
      ? new CliError(
        'aft serve --windows-service is started by the Windows Service Control Manager only: install the service with "aft svc install", or run "aft serve"',
      )
      : new CliError(
        `The service dispatcher ended before the service started: Windows error ${code}`,
      );
  });
  early.catch(() => {});
  await Promise.race([main.promise, early]);
  return {
    running: () => report(STATE.RUNNING),
    stopping: (waitMs) => {
      if (state !== STATE.STOP_PENDING) stopAsked = true;
      report(STATE.STOP_PENDING, { waitMs });
    },
    async stopped(exitCode) {
      report(STATE.STOPPED, { exitCode });
      // The dispatcher returns once every service of the process has stopped.
      await dispatcher;
      handler.close();
      serviceMain.close();
    },
  };
}
