/**
 * Script-side `VirtualFS`, `VirtualFSByName` and their constants. Each method is one host call
 * (`vfs.op`); the host keeps the backend and its connections.
 *
 * @module
 */

import type { Bridge } from "./host_bridge.ts";
import { Result } from "./prelude_result.ts";

/** Constants scripts use, by name. Values are what the host handlers expect. */
export const VFS_CONSTANTS = {
  VfsTypeDisk: "disk",
  VfsTypeSFTP: "sftp",
  VfsTypeFTP: "ftp",
  VfsTypeFTPS: "ftps",
  VfsTypeS3: "s3",
  VfsTypeAzure: "azure",
  VfsTypeGCS: "gcs",
  VfsTypeMemory: "memory",
  NeverOverwrite: 0,
  AlwaysOverwrite: 1,
  OverwriteIfDiffSize: 2,
  OverwriteIfNewer: 3,
  SortByName: 0,
  SortByNameDirsFirst: 1,
  SortBySize: 2,
  SortByTime: 3,
  SortAsc: 0,
  SortDesc: 1,
  FromStart: 0,
  FromCurrent: 1,
  FromEnd: 2,
} as const;

/** Methods of VirtualFS and the host operation each maps to. */
const METHODS: Record<string, string> = {
  Stat: "stat",
  Lstat: "lstat",
  ReadDir: "readDir",
  Mkdir: "mkdir",
  MkdirAll: "mkdirAll",
  Rmdir: "rmdir",
  Remove: "remove",
  RemoveAll: "removeAll",
  Rename: "rename",
  TreeSize: "treeSize",
  Chtimes: "chtimes",
  Chmod: "chmod",
  Truncate: "truncate",
  ReadFileAsText: "readFileAsText",
  ReadFileAsBytes: "readFileAsBytes",
  WriteFileAsText: "writeFileAsText",
  WriteFileAsBytes: "writeFileAsBytes",
  ImportFile: "importFile",
  ExportFile: "exportFile",
  ListFiles: "listFiles",
  ListFilesR: "listFilesR",
};

/** Installs VirtualFS, VirtualFSByName and the constants. */
export function installVfs(bridge: Bridge): void {
  const handles = new WeakMap<object, number>();

  function handleOf(vfs: unknown, what: string): number {
    const h = typeof vfs === "object" && vfs !== null ? handles.get(vfs) : undefined;
    if (h === undefined) throw new bridge.TypeError(`${what} must be a VirtualFS object`);
    return h;
  }

  function op(self: unknown, method: string, name: string, args: unknown[]): Result {
    const handle = handleOf(self, `VirtualFS.${method}: this`);
    return new Result(bridge.call("vfs.op", handle, name, args.map(toWire)));
  }

  // A constructor function so both `new VirtualFS(...)` and subclass-free use work.
  function VirtualFS(this: object, type: unknown, target: unknown, payload?: unknown) {
    if (!new.target) throw new bridge.TypeError("VirtualFS must be called with new");
    if (typeof type !== "string" || typeof target !== "string") {
      throw new bridge.TypeError("new VirtualFS(type, target, payloadJson?) takes strings");
    }
    const handle = bridge.call("vfs.open", { type, target, payload: payload ?? "" }) as number;
    handles.set(this, handle);
  }
  const proto = VirtualFS.prototype as Record<string, unknown>;
  for (const [method, hostOp] of Object.entries(METHODS)) {
    proto[method] = function (this: unknown, ...args: unknown[]) {
      return op(this, method, hostOp, args);
    };
  }
  for (const [method, hostOp] of [["CopyToVFS", "copy"], ["MoveToVFS", "move"]] as const) {
    proto[method] = function (
      this: unknown,
      srcPath: unknown,
      dst: unknown,
      dstDir: unknown,
      opts?: unknown,
    ) {
      const dstHandle = handleOf(dst, `VirtualFS.${method}: the second argument (the destination)`);
      return op(this, method, hostOp, [srcPath, dstHandle, dstDir, opts ?? {}]);
    };
  }
  proto.toString = function (this: unknown) {
    return `[VirtualFS #${handleOf(this, "this")}]`;
  };
  Object.freeze(proto);
  bridge.define("VirtualFS", VirtualFS);

  bridge.define("VirtualFSByName", (name: unknown) => {
    if (typeof name !== "string") {
      throw new bridge.TypeError("VirtualFSByName(name) takes a string");
    }
    const handle = bridge.call("vfs.open", { name }) as number;
    const vfs = Object.create(proto) as object;
    handles.set(vfs, handle);
    return vfs;
  });

  // A fresh array of the script's own realm at each call (decoded there).
  bridge.define("VirtualFSNames", () => bridge.call("vfs.names") as string[]);

  for (const [name, value] of Object.entries(VFS_CONSTANTS)) bridge.define(name, value);
}

/** Dates (of any realm: the script's are its context's) become ISO strings for the wire. */
function toWire(v: unknown): unknown {
  return Object.prototype.toString.call(v) === "[object Date]"
    ? Date.prototype.toISOString.call(v)
    : v;
}
