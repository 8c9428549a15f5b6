/**
 * `aft script add|list|show|rm`: stored scripts.
 *
 * @module
 */

import { CliError, UsageError } from "../errors.ts";
import { createEngine } from "../engine/engine.ts";
import { StoreError } from "../store/types.ts";
import { printJson, printTable, shortTime } from "./_output.ts";

/** Entry of `aft script`. */
export default async function script(
  action: string,
  args: string[],
  opts: Record<string, unknown>,
): Promise<number> {
  const engine = await createEngine({ dataDir: opts.data as string | undefined });
  const store = engine.store.scripts;
  try {
    const name = args[0] ?? "";
    switch (action) {
      case "add": {
        const file = String(opts.file);
        let source: string;
        try {
          source = await Deno.readTextFile(file);
        } catch (err) {
          throw new UsageError(
            `Cannot read script file "${file}": ${
              err instanceof Deno.errors.NotFound ? "no such file" : (err as Error).message
            }`,
          );
        }
        const existing = await store.getByName(name);
        if (existing && !opts.replace) {
          throw new CliError(
            `A script named "${existing.name}" already exists: use --replace to replace it`,
          );
        }
        const rec = existing
          ? await store.update(existing.id, { name, source })
          : await store.create({ name, source });
        console.error(`${existing ? "replaced" : "stored"} script "${rec.name}"`);
        console.log(rec.id);
        return 0;
      }
      case "list": {
        const all = await store.list();
        if (opts.json) printJson(all.map(({ source: _, ...meta }) => meta));
        else {printTable(
            ["id", "name", "updated"],
            all.map((s) => [s.id, s.name, shortTime(s.updatedAt)]),
            "(no stored scripts)",
          );}
        return 0;
      }
      case "show": {
        const rec = await store.getByName(name) ?? await store.get(name);
        if (!rec) throw new CliError(`No stored script named "${name}"`);
        if (opts.json) printJson(rec);
        else console.log(rec.source);
        return 0;
      }
      case "rm": {
        const rec = await store.getByName(name) ?? await store.get(name);
        if (!rec) throw new CliError(`No stored script named "${name}"`);
        await store.remove(rec.id);
        console.error(`removed script "${rec.name}"`);
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
