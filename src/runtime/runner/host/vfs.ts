/**
 * Host handlers behind `VirtualFS`: `vfs.open` resolves a VFS Library entry (asking the
 * parent) or an ephemeral definition and returns a handle (`vfs.op`, in `vfs_ops.ts`, runs one
 * method on it).
 * Backends are opened lazily on first use, so a connection failure is an ordinary failed
 * result, while an unknown name throws into the script.
 *
 * @module
 */

import type { FileInfo, Vfs, VfsDefinition, VfsType } from "../../../vfs/types.ts";
import { openVfs } from "../../../vfs/registry.ts";
import type { ScriptFileInfo } from "../../protocol/calls.ts";
import { type HostContext, ScriptCallError } from "./context.ts";
import { localPath } from "./local.ts";

const TYPES: readonly VfsType[] = ["memory", "disk", "sftp", "ftp", "ftps", "s3", "azure", "gcs"];

/**
 * Options that name a file on the host, which the backend reads when it opens: SftpClient's
 * `KeyFile`, GCSClient's `CredentialsFile`, a CA file. When a script names them (a client's
 * fields, `new VirtualFS`'s payload) they pass the localRoots check like any local path of a
 * script. A VFS Library entry's are not checked: the entry is an administrator's, and the
 * place for its key is outside localRoots, where no script's ReadTextFile reaches it. Nor is a
 * path held in a secret (`keyFileSecret`): its value is an administrator's too.
 */
const FILE_OPTIONS = ["keyFile", "credentialsFile", "caFile"];

interface Entry {
  def: VfsDefinition;
  /** Opened by name from the VFS Library (so a first-seen host key can be recorded there). */
  library: boolean;
  vfs?: Promise<Vfs>;
}

/** The VFS handles of one job. */
export class VfsHandles {
  #entries = new Map<number, Entry>();
  #next = 1;
  #ctx: HostContext;

  constructor(ctx: HostContext) {
    this.#ctx = ctx;
    ctx.onEnd(() => this.closeAll());
  }

  /** `VirtualFSByName(name)` or `new VirtualFS(type, target, payload)`. */
  async open(spec: unknown): Promise<number> {
    const s = (spec ?? {}) as {
      name?: unknown;
      type?: unknown;
      target?: unknown;
      payload?: unknown;
    };
    let def: VfsDefinition;
    if (typeof s.name === "string") {
      const found = await this.#ctx.request({ op: "vfs", name: s.name }) as VfsDefinition | null;
      if (!found) throw new ScriptCallError(`No VFS named "${s.name}" in the VFS Library`);
      def = found;
    } else {
      const type = String(s.type).toLowerCase() as VfsType;
      if (!TYPES.includes(type)) {
        throw new ScriptCallError(
          `Unknown VFS type "${String(s.type)}": use one of the VfsType constants`,
        );
      }
      def = {
        name: `${type}:${String(s.target)}`,
        type,
        target: String(s.target),
        options: parsePayload(s.payload),
      };
      for (const key of FILE_OPTIONS) {
        const p = def.options[key];
        if (p) def.options[key] = await localPath(this.#ctx, p);
      }
    }
    const handle = this.#next++;
    this.#entries.set(handle, { def, library: typeof s.name === "string" });
    return handle;
  }

  /** The opened backend of a handle (opening it on first use). */
  get(handle: unknown): Promise<Vfs> {
    const entry = typeof handle === "number" ? this.#entries.get(handle) : undefined;
    if (!entry) throw new ScriptCallError("Not a VirtualFS handle of this job");
    const libraryName = entry.library ? entry.def.name : undefined;
    entry.vfs ??= openVfs(entry.def, {
      getSecret: async (name) =>
        (await this.#ctx.request({ op: "secret", name }) as string | null) ?? undefined,
      localRoots: this.#ctx.job.limits.localRoots,
      recordHostKey: libraryName === undefined ? undefined : async (fingerprint) => {
        if (await this.#ctx.request({ op: "hostKey", name: libraryName, fingerprint })) {
          this.#ctx.log(
            "info",
            `Recorded the SSH host key of VFS "${libraryName}": ${fingerprint}`,
          );
        }
      },
    });
    // A failed open is retried on the next call rather than remembered.
    entry.vfs.catch(() => {
      if (this.#entries.get(handle as number) === entry) entry.vfs = undefined;
    });
    return entry.vfs;
  }

  /** Name of the entry behind a handle, for messages. */
  name(handle: number): string {
    return this.#entries.get(handle)?.def.name ?? "?";
  }

  async closeAll(): Promise<void> {
    const all = [...this.#entries.values()];
    this.#entries.clear();
    await Promise.all(all.map(async (e) => {
      if (!e.vfs) return;
      try {
        await (await e.vfs).close();
      } catch { /* already failed or closed */ }
    }));
  }
}

function parsePayload(payload: unknown): Record<string, string> {
  if (payload === undefined || payload === null || payload === "") return {};
  let obj: unknown = payload;
  if (typeof payload === "string") {
    try {
      obj = JSON.parse(payload);
    } catch {
      throw new ScriptCallError(
        "new VirtualFS(type, target, payloadJson): payloadJson is not valid JSON",
      );
    }
  }
  if (typeof obj !== "object" || obj === null || Array.isArray(obj)) {
    throw new ScriptCallError(
      "new VirtualFS(type, target, payloadJson): payloadJson must be a JSON object",
    );
  }
  return Object.fromEntries(
    Object.entries(obj).map(([k, v]) => [k, typeof v === "string" ? v : JSON.stringify(v)]),
  );
}

/** Script-facing form of a FileInfo. */
export function scriptInfo(info: FileInfo): ScriptFileInfo {
  return {
    Name: info.name,
    Path: info.path,
    Size: info.size,
    ModTime: info.modTime.toISOString(),
    IsDir: info.isDir,
    Mode: info.mode,
  };
}
