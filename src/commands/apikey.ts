/**
 * `aft apikey create|list|rm`: API keys. `create` prints the key once, alone on stdout (notes go
 * to stderr); only its SHA-256 is stored.
 *
 * @module
 */

import { CliError, UsageError } from "../errors.ts";
import { createEngine } from "../engine/engine.ts";
import { apiKeyView, createApiKey } from "../api/app.ts";
import { ApiError } from "../api/routes.ts";
import { StoreError } from "../store/types.ts";
import { printJson, printTable, shortTime } from "./_output.ts";

/** Entry of `aft apikey`. */
export default async function apikey(
  action: string,
  args: string[],
  opts: Record<string, unknown>,
): Promise<number> {
  const engine = await createEngine({ dataDir: opts.data as string | undefined });
  try {
    switch (action) {
      case "create": {
        const { key, record } = await createApiKey(engine, {
          name: args[0] ?? "",
          allow: (opts.allow as string[] | undefined)?.flatMap((a) => a.split(",")).map((a) =>
            a.trim()
          ).filter(Boolean),
          scopes: (opts.scope as string[] | undefined)?.flatMap((s) => s.split(",")).map((s) =>
            s.trim()
          ).filter(Boolean),
        });
        console.error(
          `created API key "${record.name}" (scopes ${record.scopes.join(", ")}; allowed from ${
            record.allow.join(", ")
          }). It is shown only now: store it safely.`,
        );
        console.log(key);
        return 0;
      }
      case "list": {
        const all = (await engine.store.apikeys.list()).map(apiKeyView);
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
        if (!(await engine.store.apikeys.remove(args[0] ?? ""))) {
          throw new CliError(`No API key named "${args[0]}"`);
        }
        console.error(`removed API key "${args[0]}"`);
        return 0;
      }
    }
    throw new UsageError(`Unknown action "${action}"`);
  } catch (err) {
    if (err instanceof ApiError) throw new UsageError(err.message);
    if (err instanceof StoreError) throw new CliError(err.message, err.code === "INVALID" ? 2 : 1);
    throw err;
  } finally {
    await engine.close();
  }
}
