/**
 * The calls a script's Worker makes of its host, as one map from call name to argument and
 * result types. The prelude calls through `Bridge.call` and the runner serves through a
 * handler table, and both are typed by {@linkcode HostCalls}: a call name that one side
 * knows and the other does not is a type error, not a runtime surprise.
 *
 * The argument types say what the prelude sends. The host still checks every argument at run
 * time, since a script can hand the prelude any value.
 *
 * @example
 * ```ts
 * import type { CallArgs, CallResult } from "./calls.ts";
 * type A = CallArgs<"vfs.open">; // [spec: VfsOpenSpec]
 * type R = CallResult<"vfs.open">; // number (the handle)
 * ```
 * @module
 */

/** Script-facing file information (SyncJS field names). */
export interface ScriptFileInfo {
  Name: string;
  Path: string;
  Size: number;
  ModTime: string;
  IsDir: boolean;
  Mode: number;
}

/** What a host handler returns for a fallible operation; the prelude wraps it in a `Result`. */
export interface ResultData {
  ok: boolean;
  error?: string;
  info?: ScriptFileInfo;
  infos?: ScriptFileInfo[];
  size?: number;
  text?: string;
  bytes?: Uint8Array;
  files?: number;
  bytesCopied?: number;
  skipped?: number;
  errors?: string[];
}

/** What the host's `http` handler takes. */
export interface HttpRequestSpec {
  url: string;
  method: string;
  headers: [string, string][];
  body: string | Uint8Array | null;
  timeoutSeconds: number;
}

/** What the host's `http` handler returns. */
export interface HttpResponseData {
  valid: boolean;
  status: number;
  body: string;
  headers: [string, string][];
  error: string;
}

/** `VirtualFSByName(name)` (`name`) or `new VirtualFS(type, target, payload)`. */
export type VfsOpenSpec = { name: string } | { type: string; target: string; payload: unknown };

/**
 * Watcher event kinds. The values are the bit flags of Go's fsnotify (`Create` = 1 ...
 * `Chmod` = 16), which SyncJS's `EVT_*` constants come from, so scripts that print or mask them
 * see the numbers they would see in AFT!.
 */
export const EVT = { CREATE: 1, WRITE: 2, REMOVE: 4, RENAME: 8, CHMOD: 16 } as const;

/** What a watcher callback receives. */
export interface WatchEvent {
  TimeStamp: string;
  Event: number;
  Object: string;
}

/** A watcher as the prelude configures it. */
export interface WatchSpec {
  kind: "fs" | "remote";
  /** VFS Library name (RemoteWatcher). */
  vfs?: string;
  dirs: { path: string; recursive: boolean }[];
  delaySeconds: number;
  pollSeconds: number;
  include: string[];
  exclude: string[];
}

/** Whether a watcher started: its ID, or why not (an ordinary failure). */
export interface WatchStartResult {
  ok: boolean;
  id?: number;
  error?: string;
}

/** Events queued for the script, each with the ID of its watcher. */
export type WatchBatch = { id: number; event: WatchEvent }[];

/**
 * Every host call: its arguments (as the prelude sends them) and its result. The only way a
 * script reaches anything outside its Worker.
 */
export interface HostCalls {
  /** `GetSecret(name)`: the value, or "" when there is no such secret. */
  secret: { args: [name: string]; result: string };
  /** Opens a VFS; the result is a handle for `vfs.op`. */
  "vfs.open": { args: [spec: VfsOpenSpec]; result: number };
  /** The names of the VFS Library's entries. */
  "vfs.names": { args: []; result: string[] };
  /** One `VirtualFS` method (`op` is the host's name for it) on an opened handle. */
  "vfs.op": { args: [handle: number, op: string, args: unknown[]]; result: ResultData };
  http: { args: [spec: HttpRequestSpec]; result: HttpResponseData };
  /** A local-disk helper (`fileExists`, `readTextFile`, ...): a boolean or a result. */
  local: { args: [op: string, args: unknown[]]; result: ResultData | boolean };
  "archive.zip": { args: [args: [source: string, zipPath: string]]; result: ResultData };
  "archive.unzip": { args: [args: [zipPath: string, destDir: string]]; result: ResultData };
  "pgp.encrypt": {
    args: [args: [inPath: string, outPath: string, publicKey: string]];
    result: ResultData;
  };
  "pgp.decrypt": {
    args: [args: [inPath: string, outPath: string, privateKey: string, passphrase: string]];
    result: ResultData;
  };
  mail: {
    args: [args: [from: string, to: string, subject: string, body: string, files: string[]]];
    result: ResultData;
  };
  "watch.start": { args: [spec: WatchSpec]; result: WatchStartResult };
  "watch.stop": { args: [id: number]; result: void };
  "watch.take": { args: []; result: WatchBatch };
}

/** The name of a host call. */
export type CallName = keyof HostCalls;
/** The arguments of host call `K`. */
export type CallArgs<K extends CallName> = HostCalls[K]["args"];
/** The result of host call `K`. */
export type CallResult<K extends CallName> = HostCalls[K]["result"];

/** The host's side: one handler per call, each taking the call's arguments as an array. */
export type HostHandlers = {
  [K in CallName]: (args: CallArgs<K>) => Promise<CallResult<K>>;
};
