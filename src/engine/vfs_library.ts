/**
 * The VFS Library: named connections with their options encrypted at rest, and the rules on
 * them: which types and targets are valid, which options are credentials (masked when shown,
 * redacted from logs).
 *
 * @module
 */

import { isAbsolute } from "../path.ts";
import type { Store } from "../store/types.ts";
import { isVfsError, type VfsDefinition, type VfsType } from "../vfs/types.ts";
import { EngineError } from "./errors.ts";
import type { Secrets, VfsLibrary } from "./types.ts";

/** Backend types a library entry may have, with the URL scheme of their target. */
export const VFS_SCHEMES: Readonly<Record<Exclude<VfsType, "memory">, string | null>> = {
  disk: null,
  sftp: "sftp:",
  ftp: "ftp:",
  ftps: "ftps:",
  s3: "s3:",
  azure: "azure:",
  gcs: "gcs:",
};

/**
 * Checks a definition's type, target and options (names, and the values that need no
 * connection: `../vfs/option_rules.ts`); throws EngineError INVALID_REQUEST saying what is
 * wrong.
 */
export async function validateVfsDefinition(def: VfsDefinition): Promise<void> {
  if (!Object.hasOwn(VFS_SCHEMES, def.type)) {
    throw invalid(
      `Unknown VFS type "${def.type}": use one of ${Object.keys(VFS_SCHEMES).join(", ")}`,
    );
  }
  // Loaded here, not with this module: every job's start loads this module, and only an
  // entry's add or change needs the rules.
  const { checkVfsOptions } = await import("../vfs/option_rules.ts");
  try {
    checkVfsOptions(def.type, def.options ?? {});
  } catch (err) {
    throw invalid((err as Error).message);
  }
  if (def.type === "disk") {
    if (!isAbsolute(def.target)) {
      throw invalid(`A disk VFS needs an absolute folder path, not "${def.target}"`);
    }
    let st: Deno.FileInfo;
    try {
      st = await Deno.stat(def.target);
    } catch {
      throw invalid(`Folder "${def.target}" does not exist`);
    }
    if (!st.isDirectory) throw invalid(`"${def.target}" is not a folder`);
    return;
  }
  let url: URL;
  try {
    url = new URL(def.target);
  } catch {
    throw invalid(
      `The target of a ${def.type} VFS must be a URL like ${
        VFS_SCHEMES[def.type as "sftp"]
      }//host/path, not "${def.target}"`,
    );
  }
  const want = VFS_SCHEMES[def.type as Exclude<VfsType, "memory" | "disk">];
  if (url.protocol !== want) {
    throw invalid(
      `The target of a ${def.type} VFS must start with ${want}//, not "${url.protocol}//"`,
    );
  }
}

function invalid(message: string): EngineError {
  return new EngineError("INVALID_REQUEST", message);
}

/**
 * True for an option whose value is a credential (hidden in listings, redacted from logs).
 * `...Secret` options hold a secret's *name*; `hostKeySHA256` and `keyFile` are not secret.
 */
export function isCredentialOption(key: string): boolean {
  if (
    /Secret$/.test(key) || /^(hostKeySHA256|keyFile|accessKeyId|user|region|endpoint)$/i.test(key)
  ) {
    return false;
  }
  return /pass|secret|key|token|credential/i.test(key);
}

/** Options as shown to people: credentials hidden, `...Secret` options name their secret. */
export function maskOptions(options: Record<string, string>): Record<string, string> {
  return Object.fromEntries(
    Object.entries(options).map(([k, v]) => [k, isCredentialOption(k) ? "***" : v]),
  );
}

/** One sentence naming the kind of a VFS failure first: what an operator needs to fix. */
export function describeFailure(err: unknown): string {
  const msg = err instanceof Error ? err.message : String(err);
  if (!isVfsError(err)) return msg;
  const kind: Partial<Record<string, string>> = {
    AUTH_FAILED: "authentication",
    HOST_KEY_MISMATCH: "host key",
    PERMISSION_DENIED: "permission",
    NOT_FOUND: "not found",
    TIMEOUT: "timeout",
  };
  let k = kind[err.code];
  if (err.code === "CONNECTION") {
    k = /host name not found|ENOTFOUND|EAI_AGAIN/i.test(msg)
      ? "DNS"
      : /TLS|certificate|SSL/i.test(msg)
      ? "TLS"
      : "connection";
  }
  if (!k) return msg;
  // "TLS failed with the FTP server: ..." needs no "TLS: " in front of it.
  return msg.toLowerCase().startsWith(k.toLowerCase()) ? msg : `${k}: ${msg}`;
}

/** The library over the store, with options encrypted by `secrets`. */
export function createVfsLibrary(store: Store, secrets: Secrets): VfsLibrary {
  return {
    async get(name) {
      const rec = await store.vfs.getByName(name);
      if (!rec) return undefined;
      const options = JSON.parse(await secrets.decrypt(rec.optionsEnc)) as Record<string, string>;
      return { name: rec.name, type: rec.type as VfsType, target: rec.target, options };
    },
    async list() {
      return (await store.vfs.list()).map(({ id, name, type, target, createdAt }) => ({
        id,
        name,
        type,
        target,
        createdAt,
      }));
    },
    async add(def) {
      await validateVfsDefinition(def);
      const optionsEnc = await secrets.encrypt(JSON.stringify(def.options));
      const rec = await store.vfs.create({
        name: def.name,
        type: def.type,
        target: def.target,
        optionsEnc,
      });
      return { id: rec.id, name: rec.name };
    },
    async update(name, def) {
      const rec = await store.vfs.getByName(name);
      if (!rec) throw new EngineError("VFS_NOT_FOUND", `No VFS named "${name}"`);
      await validateVfsDefinition(def);
      const u = await store.vfs.update(rec.id, {
        name: def.name,
        type: def.type,
        target: def.target,
        optionsEnc: await secrets.encrypt(JSON.stringify(def.options)),
      });
      return { id: u.id, name: u.name };
    },
    async remove(name) {
      const rec = await store.vfs.getByName(name);
      return rec ? await store.vfs.remove(rec.id) : false;
    },
    async pinHostKey(name, fingerprint) {
      const rec = await store.vfs.getByName(name);
      if (!rec) return false;
      const options = JSON.parse(await secrets.decrypt(rec.optionsEnc)) as Record<string, string>;
      if (options.hostKeySHA256) return false;
      options.hostKeySHA256 = fingerprint;
      await store.vfs.update(rec.id, {
        optionsEnc: await secrets.encrypt(JSON.stringify(options)),
      });
      return true;
    },
  };
}
