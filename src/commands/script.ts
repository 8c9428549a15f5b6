/**
 * `aft script add|list|show|rm`: stored scripts.
 *
 * @module
 */

import { CliError, UsageError } from "../errors.ts";
import { createEngine, EngineError } from "../engine/mod.ts";
import { esc, escLines, type GlobalOptions, printJson, printTable, shortTime } from "./_output.ts";

/** Options of `aft script`. */
export interface ScriptOptions extends GlobalOptions {
  /** `add -f FILE`. */
  file?: string;
  /** `add --replace`. */
  replace?: boolean;
  /** `rm --force`: also remove the schedules that run the script. */
  force?: boolean;
  json?: boolean;
}

async function readSource(file: string): Promise<string> {
  try {
    return await Deno.readTextFile(file);
  } catch (err) {
    throw new UsageError(
      `Cannot read script file "${file}": ${
        err instanceof Deno.errors.NotFound ? "no such file" : (err as Error).message
      }`,
    );
  }
}

/** Entry of `aft script`. */
export default async function script(
  action: string,
  args: string[],
  opts: ScriptOptions,
): Promise<number> {
  const engine = await createEngine({ dataDir: opts.data });
  try {
    const name = args[0] ?? "";
    switch (action) {
      case "add": {
        const source = await readSource(String(opts.file));
        let rec, replaced = false;
        if (opts.replace) ({ script: rec, replaced } = await engine.scripts.put({ name, source }));
        else {
          try {
            rec = await engine.scripts.create({ name, source });
          } catch (err) {
            if (err instanceof EngineError && err.code === "ALREADY_EXISTS") {
              throw new CliError(`${err.message}: use --replace to replace it`);
            }
            throw err;
          }
        }
        console.error(`${replaced ? "replaced" : "stored"} script "${esc(rec.name)}"`);
        console.log(rec.id);
        return 0;
      }
      case "list": {
        const all = await engine.scripts.list();
        if (opts.json) printJson(all);
        else {
          printTable(
            ["id", "name", "updated"],
            all.map((s) => [s.id, s.name, shortTime(s.updatedAt)]),
            "(no stored scripts)",
          );
        }
        return 0;
      }
      case "show": {
        const rec = await engine.scripts.get(name);
        if (opts.json) printJson(rec);
        else console.log(escLines(rec.source));
        return 0;
      }
      case "rm": {
        const { script, schedules } = await engine.scripts.remove(name, { force: opts.force });
        console.error(
          `removed script "${esc(script.name)}"${
            schedules.length > 0
              ? ` and the schedule${schedules.length > 1 ? "s" : ""} ${
                schedules.map((s) => `"${esc(s)}"`).join(", ")
              }`
              : ""
          }`,
        );
        return 0;
      }
    }
    throw new UsageError(`Unknown action "${action}"`);
  } finally {
    await engine.close();
  }
}
