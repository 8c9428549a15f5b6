/**
 * `aft schedule add|list|rm`: cron schedules of stored scripts. They fire while `aft serve`
 * runs; see `engine/schedules.ts` for the misfire policy.
 *
 * @module
 */

import { UsageError } from "../errors.ts";
import { createEngine, ParamsError, parseParams } from "../engine/mod.ts";
import { esc, type GlobalOptions, printJson, printTable, shortTime } from "./_output.ts";

/** Options of `aft schedule`. */
export interface ScheduleOptions extends GlobalOptions {
  /** `add --script NAME`. */
  script?: string;
  /** `add --cron EXPR`. */
  cron?: string;
  /** `add -p JSON`. */
  params?: string;
  json?: boolean;
}

/** Entry of `aft schedule`. */
export default async function schedule(
  action: string,
  args: string[],
  opts: ScheduleOptions,
): Promise<number> {
  const engine = await createEngine({ dataDir: opts.data });
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
        const rec = await engine.schedules.create({
          name: args[0] ?? "",
          script: String(opts.script),
          cron: String(opts.cron),
          params,
        });
        console.error(
          `added schedule "${esc(rec.name)}": next run ${
            rec.nextRunAt ?? "never"
          } (runs while aft serve runs)`,
        );
        console.log(rec.id);
        return 0;
      }
      case "list": {
        const all = await engine.schedules.list();
        if (opts.json) printJson(all);
        else {
          printTable(
            // Cron reads local time; these are UTC, as every time aft prints: say so here.
            ["id", "name", "script", "cron", "next run (UTC)", "last run (UTC)", "last job"],
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
        await engine.schedules.remove(args[0] ?? "");
        console.error(`removed schedule "${esc(args[0] ?? "")}"`);
        return 0;
      }
    }
    throw new UsageError(`Unknown action "${action}"`);
  } finally {
    await engine.close();
  }
}
