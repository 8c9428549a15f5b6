/**
 * `aft vfs add|list|show|rm|test`: the VFS Library.
 *
 * @module
 */

import { CliError, UsageError } from "../errors.ts";
import { createEngine, EngineError, type VfsType } from "../engine/mod.ts";
import { esc, type GlobalOptions, printJson, printTable, shortTime } from "./_output.ts";

/** Options of `aft vfs`. */
export interface VfsOptions extends GlobalOptions {
  /** `add --type`. */
  type?: string;
  /** `add --target`. */
  target?: string;
  /** `add --opt key=value`, repeatable. */
  opt?: string[];
  /** `add --replace`. */
  replace?: boolean;
  json?: boolean;
}

function parseOpts(raw: string[] | undefined): Record<string, string> {
  const out: Record<string, string> = {};
  for (const kv of raw ?? []) {
    const i = kv.indexOf("=");
    if (i <= 0) throw new UsageError(`--opt takes key=value, not "${kv}"`);
    out[kv.slice(0, i)] = kv.slice(i + 1);
  }
  return out;
}

/** Entry of `aft vfs`. */
export default async function vfs(
  action: string,
  args: string[],
  opts: VfsOptions,
): Promise<number> {
  const options = action === "add" ? parseOpts(opts.opt) : {};
  const engine = await createEngine({ dataDir: opts.data });
  try {
    const name = args[0] ?? "";
    switch (action) {
      case "add": {
        const { vfs, replaced } = await engine.vfs.add({
          name,
          type: String(opts.type) as VfsType,
          target: String(opts.target),
          options,
        }, { replace: opts.replace }).catch((err) => {
          if (err instanceof EngineError && err.code === "ALREADY_EXISTS") {
            throw new CliError(`${err.message}: use --replace to replace it`);
          }
          throw err;
        });
        console.error(`${replaced ? "replaced" : "added"} VFS "${esc(vfs.name)}"`);
        console.log(vfs.id);
        return 0;
      }
      case "list": {
        const all = await engine.vfs.list();
        if (opts.json) printJson(all);
        else {
          printTable(
            ["id", "name", "type", "target", "created"],
            all.map((v) => [v.id, v.name, v.type, v.target, shortTime(v.createdAt)]),
            "(the VFS Library is empty)",
          );
        }
        return 0;
      }
      case "show": {
        const shown = await engine.vfs.get(name);
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
        await engine.vfs.remove(name);
        console.error(`removed VFS "${esc(name)}"`);
        return 0;
      }
      case "test": {
        const r = await engine.vfs.test(name, {
          onHostKeyRecorded: (fp) =>
            console.error(
              `recorded the host key of "${
                esc(name)
              }" (${fp}): from now on a different key is refused`,
            ),
        });
        console.log(`ok: "${esc(r.name)}" answered with ${r.entries} entries at its root`);
        return 0;
      }
    }
    throw new UsageError(`Unknown action "${action}"`);
  } finally {
    await engine.close();
  }
}
