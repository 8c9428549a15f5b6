/**
 * `aft schedule add|list|rm`: cron schedules of stored scripts. They fire while `aft serve`
 * runs; see `engine/schedules.ts` for the misfire policy.
 *
 * @module
 */

import { CliError, UsageError } from "../errors.ts";
import { createEngine } from "../engine/engine.ts";
import { createSchedule } from "../api/app.ts";
import { ApiError } from "../api/routes.ts";
import { ParamsError, parseParams } from "../engine/params.ts";
import { StoreError } from "../store/types.ts";
import { printJson, printTable, shortTime } from "./_output.ts";

/** Entry of `aft schedule`. */
export default async function schedule(
  action: string,
  args: string[],
  opts: Record<string, unknown>,
): Promise<number> {
  const engine = await createEngine({ dataDir: opts.data as string | undefined });
  try {
    switch (action) {
      case "add": {
        let params: Record<string, string>;
        try {
          params = parseParams(opts.params, { lenient: true });
        } catch (err) {
          if (err instanceof ParamsError) throw new UsageError(`Bad --params: ${err.message}`);
          throw err;
        }
        const rec = await createSchedule(engine, {
          name: args[0] ?? "",
          script: String(opts.script),
          cron: String(opts.cron),
          params,
        });
        console.error(
          `added schedule "${rec.name}": next run ${
            rec.nextRunAt ?? "never"
          } (runs while aft serve runs)`,
        );
        console.log(rec.id);
        return 0;
      }
      case "list": {
        const all = await engine.store.schedules.list();
        if (opts.json) printJson(all);
        else {
          printTable(
            ["id", "name", "script", "cron", "next run", "last run", "last job"],
            all.map((s) => [
              s.id,
              s.name,
              s.script,
              s.cron,
              shortTime(s.nextRunAt),
              shortTime(s.lastRunAt),
              s.lastJobId ?? "",
            ]),
            "(no schedules)",
          );
        }
        return 0;
      }
      case "rm": {
        if (!(await engine.store.schedules.remove(args[0] ?? ""))) {
          throw new CliError(`No schedule named "${args[0]}"`);
        }
        console.error(`removed schedule "${args[0]}"`);
        return 0;
      }
    }
    throw new UsageError(`Unknown action "${action}"`);
  } catch (err) {
    if (err instanceof ApiError) {
      throw new CliError(err.message, err.status === 404 ? 1 : 2);
    }
    if (err instanceof StoreError) throw new CliError(err.message, err.code === "INVALID" ? 2 : 1);
    throw err;
  } finally {
    await engine.close();
  }
}
