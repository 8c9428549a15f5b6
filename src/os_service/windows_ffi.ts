/**
 * The parts of advapi32 (the Service Control Manager's API) that `aft svc` and
 * `aft serve --windows-service` call through Deno's FFI, with the constants and struct layouts
 * (64-bit Windows) they need. Loaded on Windows only, on first use.
 *
 * @module
 */

/** Service type: a service in its own process. */
export const SERVICE_WIN32_OWN_PROCESS = 0x10;
/** Start type: started by the SCM at boot. */
export const SERVICE_AUTO_START = 2;
export const SERVICE_ERROR_NORMAL = 1;
export const SC_MANAGER_ALL_ACCESS = 0xF003F;
export const SERVICE_ALL_ACCESS = 0xF01FF;
/** Enough to read the status and configuration (`aft svc status` as any user). */
export const SC_MANAGER_CONNECT = 0x0001;
export const SERVICE_QUERY_CONFIG = 0x0001;
export const SERVICE_QUERY_STATUS = 0x0004;
export const SERVICE_CONFIG_DESCRIPTION = 1;
export const SERVICE_CONFIG_FAILURE_ACTIONS = 2;
export const SERVICE_CONFIG_FAILURE_ACTIONS_FLAG = 4;
export const SC_ACTION_RESTART = 1;

/** dwCurrentState values. */
export const STATE = {
  STOPPED: 1,
  START_PENDING: 2,
  STOP_PENDING: 3,
  RUNNING: 4,
} as const;

/** Control codes the handler gets. */
export const CONTROL = { STOP: 1, INTERROGATE: 4, SHUTDOWN: 5 } as const;
/** dwControlsAccepted bits. */
export const ACCEPT_STOP = 1;
export const ACCEPT_SHUTDOWN = 4;

export const NO_ERROR = 0;
export const ERROR_CALL_NOT_IMPLEMENTED = 120;
export const ERROR_SERVICE_ALREADY_RUNNING = 1056;
export const ERROR_SERVICE_DOES_NOT_EXIST = 1060;
export const ERROR_SERVICE_NOT_ACTIVE = 1062;
export const ERROR_FAILED_SERVICE_CONTROLLER_CONNECT = 1063;
export const ERROR_SERVICE_EXISTS = 1073;
export const ERROR_SERVICE_SPECIFIC_ERROR = 1066;

const SYMBOLS = {
  OpenSCManagerW: { parameters: ["buffer", "buffer", "u32"], result: "pointer" },
  CreateServiceW: {
    parameters: [
      "pointer", // hSCManager
      "buffer", // lpServiceName
      "buffer", // lpDisplayName
      "u32", // dwDesiredAccess
      "u32", // dwServiceType
      "u32", // dwStartType
      "u32", // dwErrorControl
      "buffer", // lpBinaryPathName
      "buffer", // lpLoadOrderGroup
      "buffer", // lpdwTagId
      "buffer", // lpDependencies
      "buffer", // lpServiceStartName (null: LocalSystem)
      "buffer", // lpPassword
    ],
    result: "pointer",
  },
  OpenServiceW: { parameters: ["pointer", "buffer", "u32"], result: "pointer" },
  ChangeServiceConfig2W: { parameters: ["pointer", "u32", "buffer"], result: "i32" },
  StartServiceW: { parameters: ["pointer", "u32", "buffer"], result: "i32" },
  ControlService: { parameters: ["pointer", "u32", "buffer"], result: "i32" },
  QueryServiceStatus: { parameters: ["pointer", "buffer"], result: "i32" },
  QueryServiceConfigW: { parameters: ["pointer", "buffer", "u32", "buffer"], result: "i32" },
  DeleteService: { parameters: ["pointer"], result: "i32" },
  CloseServiceHandle: { parameters: ["pointer"], result: "i32" },
  // The dispatcher returns only when the service has stopped: off the main thread.
  StartServiceCtrlDispatcherW: { parameters: ["buffer"], result: "i32", nonblocking: true },
  RegisterServiceCtrlHandlerExW: {
    parameters: ["buffer", "function", "pointer"],
    result: "pointer",
  },
  SetServiceStatus: { parameters: ["pointer", "buffer"], result: "i32" },
} as const;

const KERNEL32 = {
  GetLastError: { parameters: [], result: "u32" },
} as const;

let advapi: Deno.DynamicLibrary<typeof SYMBOLS> | undefined;
let kernel: Deno.DynamicLibrary<typeof KERNEL32> | undefined;

/** advapi32's service functions (opened once). */
export function advapi32(): Deno.DynamicLibrary<typeof SYMBOLS>["symbols"] {
  advapi ??= Deno.dlopen("advapi32.dll", SYMBOLS);
  return advapi.symbols;
}

/** The calling thread's last Win32 error. */
export function lastError(): number {
  kernel ??= Deno.dlopen("kernel32.dll", KERNEL32);
  return kernel.symbols.GetLastError();
}

/** `text` as a NUL-terminated UTF-16LE buffer (what the W functions take). */
export function wide(text: string): Uint16Array<ArrayBuffer> {
  const out = new Uint16Array(text.length + 1);
  for (let i = 0; i < text.length; i++) out[i] = text.charCodeAt(i);
  return out;
}

/** Reads a NUL-terminated UTF-16 string at `ptr`. */
export function readWide(ptr: Deno.PointerValue): string {
  if (!ptr) return "";
  const view = new Deno.UnsafePointerView(ptr);
  const units: number[] = [];
  for (let off = 0; off < 65536; off += 2) {
    const u = view.getUint16(off);
    if (u === 0) break;
    units.push(u);
  }
  return String.fromCharCode(...units);
}

/** A SERVICE_STATUS (seven DWORDs). */
export interface ServiceStatusStruct {
  serviceType: number;
  currentState: number;
  controlsAccepted: number;
  win32ExitCode: number;
  serviceSpecificExitCode: number;
  checkPoint: number;
  waitHint: number;
}

/** A SERVICE_STATUS as the 28 bytes SetServiceStatus reads. */
export function encodeStatus(s: ServiceStatusStruct): Uint8Array<ArrayBuffer> {
  const buf = new Uint8Array(28);
  const v = new DataView(buf.buffer);
  [
    s.serviceType,
    s.currentState,
    s.controlsAccepted,
    s.win32ExitCode,
    s.serviceSpecificExitCode,
    s.checkPoint,
    s.waitHint,
  ].forEach((n, i) => v.setUint32(i * 4, n >>> 0, true));
  return buf;
}

/** Reads the SERVICE_STATUS that QueryServiceStatus or ControlService filled in. */
export function decodeStatus(buf: Uint8Array): ServiceStatusStruct {
  const v = new DataView(buf.buffer, buf.byteOffset, 28);
  const d = (i: number) => v.getUint32(i * 4, true);
  return {
    serviceType: d(0),
    currentState: d(1),
    controlsAccepted: d(2),
    win32ExitCode: d(3),
    serviceSpecificExitCode: d(4),
    checkPoint: d(5),
    waitHint: d(6),
  };
}

/** The address of a buffer or a pointer, for a struct field. */
export function addressOf(p: BufferSource | Deno.PointerValue): bigint {
  const ptr = p !== null && (ArrayBuffer.isView(p) || p instanceof ArrayBuffer)
    ? Deno.UnsafePointer.of(p as BufferSource)
    : p as Deno.PointerValue;
  return ptr ? BigInt(Deno.UnsafePointer.value(ptr)) : 0n;
}

/**
 * A SERVICE_FAILURE_ACTIONSW (40 bytes on 64-bit Windows) that restarts the service after
 * each of `delaysMs`, the count of failures reset after `resetSeconds`; `actions` holds the
 * SC_ACTION array and must stay alive while the call runs.
 */
export function encodeFailureActions(
  resetSeconds: number,
  delaysMs: number[],
): { struct: Uint8Array<ArrayBuffer>; actions: Uint8Array<ArrayBuffer> } {
  const actions = new Uint8Array(8 * delaysMs.length);
  const av = new DataView(actions.buffer);
  delaysMs.forEach((ms, i) => {
    av.setUint32(i * 8, SC_ACTION_RESTART, true);
    av.setUint32(i * 8 + 4, ms, true);
  });
  const struct = new Uint8Array(40);
  const sv = new DataView(struct.buffer);
  sv.setUint32(0, resetSeconds, true); // dwResetPeriod
  sv.setBigUint64(8, 0n, true); // lpRebootMsg
  sv.setBigUint64(16, 0n, true); // lpCommand
  sv.setUint32(24, delaysMs.length, true); // cActions
  sv.setBigUint64(32, addressOf(actions), true); // lpsaActions
  return { struct, actions };
}
