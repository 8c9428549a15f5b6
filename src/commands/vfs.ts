/**
 * `aft vfs add|list|show|rm|test`: the VFS Library.
 *
 * @module
 */

import { CliError, UsageError } from "../errors.ts";
import { createEngine } from "../engine/engine.ts";
import { StoreError } from "../store/types.ts";
import { openVfs } from "../vfs/registry.ts";
import { isVfsError } from "../vfs/types.ts";
import { isCredentialOption } from "../engine/vfs_library.ts";
import type { VfsDefinition, VfsType } from "../vfs/types.ts";
import { printJson, printTable, shortTime } from "./_output.ts";

/** Options as shown to people: credentials hidden, `...Secret` options name their secret. */
export function maskOptions(options: Record<string, string>): Record<string, string> {
  return Object.fromEntries(
    Object.entries(options).map((
      [k, v],
    ) => [k, isCredentialOption(k) ? "***" : v]),
  );
}

function parseOpts(raw: unknown): Record<string, string> {
  const out: Record<string, string> = {};
  for (const kv of (raw as string[] | undefined) ?? []) {
    const i = kv.indexOf("=");
    if (i <= 0) throw new UsageError(`--opt takes key=value, not "${kv}"`);
    out[kv.slice(0, i)] = kv.slice(i + 1);
  }
  return out;
}

/** One sentence naming the kind of failure first: what an operator needs to fix. */
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

/** Entry of `aft vfs`. */
export default async function vfs(
  action: string,
  args: string[],
  opts: Record<string, unknown>,
): Promise<number> {
  const engine = await createEngine({ dataDir: opts.data as string | undefined });
  try {
    const name = args[0] ?? "";
    switch (action) {
      case "add": {
        const def: VfsDefinition = {
          name,
          type: String(opts.type) as VfsType,
          target: String(opts.target),
          options: parseOpts(opts.opt),
        };
        const existing = await engine.store.vfs.getByName(name);
        if (existing && !opts.replace) {
          throw new CliError(
            `A VFS named "${existing.name}" already exists: use --replace to replace it`,
          );
        }
        if (existing) await engine.vfs.remove(existing.name);
        const rec = await engine.vfs.add(def);
        console.error(`${existing ? "replaced" : "added"} VFS "${rec.name}"`);
        console.log(rec.id);
        return 0;
      }
      case "list": {
        const all = await engine.vfs.list();
        if (opts.json) printJson(all);
        else {printTable(
            ["id", "name", "type", "target", "created"],
            all.map((v) => [v.id, v.name, v.type, v.target, shortTime(v.createdAt)]),
            "(the VFS Library is empty)",
          );}
        return 0;
      }
      case "show": {
        const def = await engine.vfs.get(name);
        const rec = await engine.store.vfs.getByName(name);
        if (!def || !rec) throw new CliError(`No VFS named "${name}"`);
        const shown = {
          id: rec.id,
          name: def.name,
          type: def.type,
          target: def.target,
          options: maskOptions(def.options),
          createdAt: rec.createdAt,
          updatedAt: rec.updatedAt,
        };
        if (opts.json) printJson(shown);
        else {
          printTable(["field", "value"], [
            ["id", shown.id],
            ["name", shown.name],
            ["type", shown.type],
            ["target", shown.target],
            ...Object.entries(shown.options).map(([k, v]) => [`opt ${k}`, v]),
          ]);
        }
        return 0;
      }
      case "rm": {
        if (!(await engine.vfs.remove(name))) throw new CliError(`No VFS named "${name}"`);
        console.error(`removed VFS "${name}"`);
        return 0;
      }
      case "test": {
        const def = await engine.vfs.get(name);
        if (!def) throw new CliError(`No VFS named "${name}"`);
        const settings = await engine.settings();
        try {
          const v = await openVfs(def, {
            getSecret: (n) => engine.secrets.get(n),
            localRoots: settings.localRoots,
            recordHostKey: async (fp) => {
              if (await engine.vfs.pinHostKey(def.name, fp)) {
                console.error(
                  `recorded the host key of "${def.name}" (${fp}): from now on a different key is refused`,
                );
              }
            },
          });
          try {
            const entries = await v.list("/");
            console.log(`ok: "${def.name}" answered with ${entries.length} entries at its root`);
          } finally {
            await v.close();
          }
        } catch (err) {
          throw new CliError(`VFS "${def.name}" failed: ${describeFailure(err)}`);
        }
        return 0;
      }
    }
    throw new UsageError(`Unknown action "${action}"`);
  } catch (err) {
    if (err instanceof StoreError) throw new CliError(err.message, err.code === "INVALID" ? 2 : 1);
    throw err;
  } finally {
    await engine.close();
  }
}
