/**
 * Opens a VFS from its definition: one factory per backend type.
 *
 * @example
 * ```ts
 * const vfs = await openVfs({ name: "in", type: "disk", target: "/srv/in", options: {} }, ctx);
 * ```
 * @module
 */

import { isAbsolute, resolve } from "../path.ts";
import { mark } from "../timings.ts";
import { DiskVfs } from "./disk/disk.ts";
import { checkLocalPath } from "./local_roots.ts";
import { MemoryVfs } from "./memory/memory.ts";
import { type Vfs, type VfsContext, type VfsDefinition, VfsError } from "./types.ts";

/** Builds a backend from a definition. */
export type VfsFactory = (def: VfsDefinition, ctx: VfsContext) => Promise<Vfs>;

const factories = new Map<string, VfsFactory>();

/** Registers (or replaces) the factory of a backend type. */
export function registerBackend(type: string, factory: VfsFactory): void {
  factories.set(type, factory);
}

/** Opens the VFS a definition describes. */
export async function openVfs(def: VfsDefinition, ctx: VfsContext): Promise<Vfs> {
  const factory = factories.get(def.type);
  if (!factory) {
    throw new VfsError(
      "NOT_SUPPORTED",
      `VFS type "${def.type}" is not available in this build yet`,
    );
  }
  return await factory(await withSecrets(def, ctx), ctx);
}

/**
 * Resolves `...Secret` options (`passSecret: "sftp-pass"`) into the option they stand for
 * (`pass`), from the secrets store, so no backend sees a secret's name where it wants a value.
 */
async function withSecrets(def: VfsDefinition, ctx: VfsContext): Promise<VfsDefinition> {
  const options = { ...def.options };
  for (const [k, v] of Object.entries(def.options)) {
    if (!k.endsWith("Secret") || k === "Secret") continue;
    const value = await ctx.getSecret(v);
    if (value === undefined) {
      throw new VfsError(
        "AUTH_FAILED",
        `The secret "${v}" named by option ${k} of VFS "${def.name}" does not exist`,
      );
    }
    options[k.slice(0, -"Secret".length)] = value;
  }
  return { ...def, options };
}

// Memory VFS sharing: entries with the same target in one process see one tree.
const memoryTrees = new Map<string, MemoryVfs>();

registerBackend("memory", (def) => {
  let tree = memoryTrees.get(def.target);
  if (!tree) memoryTrees.set(def.target, tree = new MemoryVfs());
  return Promise.resolve(new MemoryVfs(tree));
});

registerBackend("disk", async (def, ctx) => {
  if (!isAbsolute(def.target)) {
    throw new VfsError(
      "INVALID_PATH",
      `A disk VFS needs an absolute folder path, not "${def.target}"`,
    );
  }
  const root = resolve(def.target);
  if (ctx.localRoots.length > 0) {
    // Checked before the folder is opened, on where it leads (links followed, whether it is
    // there or not), so the answer for a folder outside never says whether it exists.
    try {
      await checkLocalPath(root, ctx.localRoots);
    } catch {
      throw new VfsError(
        "PERMISSION_DENIED",
        `Folder "${def.target}" is outside the allowed folders (setting localRoots: ${
          ctx.localRoots.join(", ")
        })`,
      );
    }
  }
  const vfs = await DiskVfs.open(root);
  return vfs;
});

// Network backends load their client libraries only when first used, so commands that never
// touch them (and the runner's start-up) do not pay for them.

/** A backend's module once it has loaded, marked for `aft run --timings`. */
async function loaded<M>(type: string, module: Promise<M>): Promise<M> {
  const m = await module;
  mark(`${type} backend loaded`);
  return m;
}

registerBackend(
  "sftp",
  async (def, ctx) => (await loaded("sftp", import("./sftp/sftp.ts"))).openSftp(def, ctx),
);
for (const type of ["ftp", "ftps"]) {
  registerBackend(
    type,
    async (def, ctx) => (await loaded(type, import("./ftp/ftp.ts"))).openFtp(def, ctx),
  );
}
registerBackend(
  "s3",
  async (def, ctx) => (await loaded("s3", import("./s3/s3.ts"))).openS3(def, ctx),
);
registerBackend(
  "azure",
  async (def, ctx) => (await loaded("azure", import("./azure/azure.ts"))).openAzure(def, ctx),
);
registerBackend(
  "gcs",
  async (def, ctx) => (await loaded("gcs", import("./gcs/gcs.ts"))).openGcs(def, ctx),
);
