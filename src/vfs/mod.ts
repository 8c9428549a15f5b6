/**
 * The VFS: contract, backends, registry and copy engine.
 *
 * @module
 */

export * from "./types.ts";
export { basename, dirname, joinPath, normalizePath, relativeTo } from "./path.ts";
export { hasGlob, matchGlob } from "./glob.ts";
export { walk } from "./walk.ts";
export { openVfs, registerBackend, type VfsFactory } from "./registry.ts";
export {
  type CopyOptions,
  type CopyProgress,
  type CopyResult,
  copyToVfs,
  type OverwritePolicy,
} from "./copy.ts";
export { MemoryVfs } from "./memory/memory.ts";
export { DiskVfs } from "./disk/disk.ts";
