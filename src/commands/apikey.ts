/**
 * `aft apikey create|list|rm`: API keys. `create` prints the key once, alone on stdout (notes go
 * to stderr); only its SHA-256 is stored.
 *
 * @module
 */

import { UsageError } from "../errors.ts";
import { createEngine } from "../engine/mod.ts";
import { esc, type GlobalOptions, printJson, printTable, shortTime } from "./_output.ts";

/** Options of `aft apikey`. */
export interface ApiKeyOptions extends GlobalOptions {
  /** `create --allow CIDR`, repeatable, commas allowed. */
  allow?: string[];
  /** `create --scope S`, repeatable, commas allowed. */
  scope?: string[];
  json?: boolean;
}

const list = (values: string[] | undefined) =>
  values?.flatMap((a) => a.split(",")).map((a) => a.trim()).filter(Boolean);

/** Entry of `aft apikey`. */
export default async function apikey(
  action: string,
  args: string[],
  opts: ApiKeyOptions,
): Promise<number> {
  const engine = await createEngine({ dataDir: opts.data });
  try {
    switch (action) {
      case "create": {
        const { key, record } = await engine.apikeys.create({
          name: args[0] ?? "",
          allow: list(opts.allow),
          scopes: list(opts.scope),
        });
        console.error(
          `created API key "${esc(record.name)}" (scopes ${
            record.scopes.join(", ")
          }; allowed from ${record.allow.join(", ")}). It is shown only now: store it safely.`,
        );
        console.log(key);
        return 0;
      }
      case "list": {
        const all = await engine.apikeys.list();
        if (opts.json) printJson(all);
        else {
          printTable(
            ["id", "name", "prefix", "scopes", "allow", "created", "last used"],
            all.map((k) => [
              k.id,
              k.name,
              k.prefix + "…",
              k.scopes.join(","),
              k.allow.join(","),
              shortTime(k.createdAt),
              shortTime(k.lastUsedAt),
            ]),
            "(no API keys: create one with `aft apikey create NAME`)",
          );
        }
        return 0;
      }
      case "rm": {
        await engine.apikeys.remove(args[0] ?? "");
        console.error(`removed API key "${esc(args[0] ?? "")}"`);
        return 0;
      }
    }
    throw new UsageError(`Unknown action "${action}"`);
  } finally {
    await engine.close();
  }
}
