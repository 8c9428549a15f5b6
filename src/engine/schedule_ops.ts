/**
 * `engine.schedules`: cron schedules of stored scripts. A schedule is checked when it is made
 * (its cron expression fires, its script exists, its parameters parse); the scheduler in
 * `schedules.ts` fires it while `aft serve` runs.
 *
 * @module
 */

import type { ScheduleRecord } from "../store/types.ts";
import { EngineError, guarded } from "./errors.ts";
import { checkName } from "./names.ts";
import { ParamsError, parseParams } from "./params.ts";
import type { EngineCore } from "./types.ts";

export interface ScheduleOps {
  list(): Promise<ScheduleRecord[]>;
  /** By ID or name (case-insensitive); SCHEDULE_NOT_FOUND when there is none. */
  get(idOrName: string): Promise<ScheduleRecord>;
  /** INVALID_CRON, SCRIPT_NOT_FOUND, INVALID_REQUEST (params), ALREADY_EXISTS. */
  create(
    input: { name: string; script: string; cron: string; params?: unknown },
  ): Promise<ScheduleRecord>;
  /** SCHEDULE_NOT_FOUND when there is none. */
  remove(idOrName: string): Promise<void>;
}

/** The schedule operations over `core`. */
export function createScheduleOps(core: EngineCore): ScheduleOps {
  const store = core.store;
  return guarded({
    list: () => store.schedules.list(),
    async get(idOrName: string) {
      const s = await store.schedules.get(idOrName);
      if (!s) throw new EngineError("SCHEDULE_NOT_FOUND", `No schedule "${idOrName}"`);
      return s;
    },
    async create(input: { name: string; script: string; cron: string; params?: unknown }) {
      const name = checkName("schedule", input.name);
      const { nextRun, validateCron } = await import("./schedules.ts");
      const problem = validateCron(input.cron);
      if (problem) throw new EngineError("INVALID_CRON", problem);
      if (!(await store.scripts.getByName(input.script))) {
        throw new EngineError("SCRIPT_NOT_FOUND", `No stored script named "${input.script}"`);
      }
      let params: Record<string, string>;
      try {
        params = parseParams(input.params ?? {});
      } catch (err) {
        if (!(err instanceof ParamsError)) throw err;
        throw new EngineError("INVALID_REQUEST", err.message);
      }
      return await store.schedules.create({
        name,
        script: input.script,
        cron: input.cron,
        params,
        enabled: true,
        nextRunAt: nextRun(input.cron, new Date()),
      });
    },
    async remove(idOrName: string) {
      if (!(await store.schedules.remove(idOrName))) {
        throw new EngineError("SCHEDULE_NOT_FOUND", `No schedule "${idOrName}"`);
      }
    },
  });
}
