/**
 * `engine.vfs`: the VFS Library as callers see it. Credentials never leave it: entries are
 * shown with their credential options masked, and only job execution (through `EngineCore`)
 * reads them decrypted.
 *
 * @module
 */

import { idleTimeoutOption } from "../vfs/idle_timeout.ts";
import { isVfsOption, VFS_OPTIONS } from "../vfs/option_rules.ts";
import type { VfsDefinition } from "../vfs/types.ts";
import { EngineError, guarded } from "./errors.ts";
import { nameKey } from "./canonical_names.ts";
import { checkName } from "./names.ts";
import type { EngineCore } from "./types.ts";
import { createVfsFileOps, type VfsFileOps } from "./vfs_files.ts";
import {
  describeFailure,
  isCredentialOption,
  maskOptions,
  validateVfsDefinition,
} from "./vfs_library.ts";

/**
 * A change to a library entry (`update`). Credentials are write-only: a credential option
 * given empty or left out keeps its stored value, unless it is named in `clear`.
 */
export interface VfsPatch {
  /** A new name. */
  name?: string;
  target?: string;
  /**
   * The options as they should be: other options are replaced as a whole (an empty value
   * removes one); for credentials see above. Left out: the options stay as they are.
   */
  options?: Record<string, string>;
  /** Credential options to remove. */
  clear?: string[];
}

/** A library entry as listed. */
export interface VfsSummary {
  id: string;
  name: string;
  type: string;
  target: string;
  createdAt: string;
}

/** A library entry as shown: credential options masked (`***`). */
export interface VfsView extends VfsSummary {
  options: Record<string, string>;
  updatedAt: string;
}

export interface VfsOps {
  list(): Promise<VfsSummary[]>;
  /** By name (case-insensitive), masked; VFS_NOT_FOUND when there is none. */
  get(name: string): Promise<VfsView>;
  /** Checks and adds an entry (ALREADY_EXISTS unless `replace`); options encrypted at rest. */
  add(def: VfsDefinition, opts?: { replace?: boolean }): Promise<
    { vfs: VfsView; replaced: boolean }
  >;
  /** VFS_NOT_FOUND when there is none. */
  remove(name: string): Promise<void>;
  /** Changes an entry, checked as `add` checks it (see `VfsPatch` for credentials). */
  update(name: string, patch: VfsPatch): Promise<VfsView>;
  /** The files behind an entry: list, download, upload, make folders, rename, delete. */
  readonly files: VfsFileOps;
  /**
   * Connects and lists the root; VFS_FAILED with the cause first (authentication, host key,
   * DNS, TLS, permission). An SFTP host key seen for the first time is recorded.
   */
  test(name: string, opts?: { onHostKeyRecorded?(fingerprint: string): void }): Promise<
    { name: string; entries: number }
  >;
}

/**
 * How long "Test connection" (`vfs.test`) waits on a server that sends nothing, in seconds: a
 * job waits the entry's `idleTimeoutSeconds` (300 by default, in each of three tries for S3 and
 * Azure), which would hold the console's button and `aft vfs test` for up to 15 minutes on a
 * wrong port that accepts and never answers. A sign-in's first answer never takes that long.
 * GCS gets 30 s: its client spends about 16 s retrying a refused connection before it says so,
 * and its idle watch (`../vfs/object_store/idle_watch.ts`) cannot tell that wait from a silent
 * server's, so a shorter limit would report a refused connection as a timeout.
 */
export function testIdleSeconds(type: string): number {
  return type === "gcs" ? 30 : 15;
}

/** `def` as `test` opens it: its idle limit at most {@linkcode testIdleSeconds}. */
function forTest(def: VfsDefinition): VfsDefinition {
  if (!VFS_OPTIONS[def.type]?.includes("idleTimeoutSeconds")) return def;
  const limit = testIdleSeconds(def.type);
  let setMs: number;
  try {
    setMs = idleTimeoutOption(def.options.idleTimeoutSeconds);
  } catch {
    return def; // a bad stored value: opening the entry says so
  }
  if (setMs <= limit * 1000) return def;
  return { ...def, options: { ...def.options, idleTimeoutSeconds: String(limit) } };
}

/** The VFS Library operations over `core`. */
export function createVfsOps(core: EngineCore): VfsOps {
  const notFound = (name: string) => new EngineError("VFS_NOT_FOUND", `No VFS named "${name}"`);
  const view = async (name: string): Promise<VfsView> => {
    const rec = await core.store.vfs.getByName(name);
    const def = await core.vfs.get(name);
    if (!rec || !def) throw notFound(name);
    return {
      id: rec.id,
      name: def.name,
      type: def.type,
      target: def.target,
      options: maskOptions(def.options),
      createdAt: rec.createdAt,
      updatedAt: rec.updatedAt,
    };
  };
  const ops = guarded({
    list: () => core.vfs.list(),
    get: view,
    async add(def: VfsDefinition, opts: { replace?: boolean } = {}) {
      const name = checkName("VFS", def.name);
      const existing = await core.store.vfs.getByName(name);
      if (existing && !opts.replace) {
        throw new EngineError("ALREADY_EXISTS", `A VFS named "${existing.name}" already exists`);
      }
      const entry = { ...def, name, options: def.options ?? {} };
      // Checked before the old entry goes, so a bad replacement leaves the old one in place.
      await validateVfsDefinition(entry);
      if (existing) await core.vfs.remove(existing.name);
      const rec = await core.vfs.add(entry);
      return { vfs: await view(rec.name), replaced: existing !== undefined };
    },
    async remove(name: string) {
      if (!(await core.vfs.remove(name))) throw notFound(name);
    },
    async update(name: string, patch: VfsPatch) {
      const cur = await core.vfs.get(name);
      if (!cur) throw notFound(name);
      const newName = patch.name === undefined ? cur.name : checkName("VFS", patch.name);
      const clear = new Set(patch.clear ?? []);
      let options: Record<string, string>;
      if (patch.options === undefined) options = { ...cur.options };
      else {
        options = {};
        for (const [k, v] of Object.entries(cur.options)) {
          if (isCredentialOption(k)) options[k] = v;
        }
        for (const [k, v] of Object.entries(patch.options)) {
          if (v !== "") options[k] = v;
          else if (!isCredentialOption(k)) delete options[k];
        }
      }
      for (const k of clear) delete options[k];
      // An option stored before options were checked that this type does not read is dropped
      // (nobody read it), so that it does not refuse every later change of the entry.
      for (const k of Object.keys(options)) {
        if (!(k in (patch.options ?? {})) && !isVfsOption(cur.type, k)) delete options[k];
      }
      if (nameKey(newName) !== nameKey(cur.name)) {
        const taken = await core.store.vfs.getByName(newName);
        // Not the entry itself, stored by an older version under another spelling of the name.
        if (taken && nameKey(taken.name) !== nameKey(cur.name)) {
          throw new EngineError("ALREADY_EXISTS", `A VFS named "${taken.name}" already exists`);
        }
      }
      const def = { name: newName, type: cur.type, target: patch.target ?? cur.target, options };
      await core.vfs.update(cur.name, def);
      return await view(newName);
    },
    async test(name: string, opts: { onHostKeyRecorded?(fingerprint: string): void } = {}) {
      const stored = await core.vfs.get(name);
      if (!stored) throw notFound(name);
      const def = forTest(stored);
      const settings = await core.settings();
      const { openVfs } = await import("../vfs/registry.ts");
      try {
        const v = await openVfs(def, {
          getSecret: (n) => core.secrets.get(n),
          localRoots: settings.localRoots,
          recordHostKey: async (fp) => {
            if (await core.vfs.pinHostKey(def.name, fp)) opts.onHostKeyRecorded?.(fp);
          },
        });
        try {
          return { name: def.name, entries: (await v.list("/")).length };
        } finally {
          await v.close();
        }
      } catch (err) {
        throw new EngineError("VFS_FAILED", `VFS "${def.name}" failed: ${describeFailure(err)}`, {
          cause: err,
        });
      }
    },
  });
  return { ...ops, files: createVfsFileOps(core) };
}
