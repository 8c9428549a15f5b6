/**
 * `engine.schedules`: cron schedules of stored scripts. A schedule is checked when it is made
 * or changed (its cron expression fires, its script exists, its parameters parse); the
 * scheduler in `schedules.ts` fires it while `aft serve` runs. `preview` says what an
 * expression means and when it runs next, computed as the scheduler does, in the service's
 * time zone.
 *
 * @module
 */

import type { JobView, ScheduleRecord } from "../store/types.ts";
import { describeCron } from "./cron_words.ts";
import { EngineError, guarded } from "./errors.ts";
import type { SubmitInput } from "./jobs.ts";
import { checkName } from "./names.ts";
import { ParamsError, parseParams } from "./params.ts";
import type { EngineCore } from "./types.ts";

/** What can be changed in a schedule; absent fields are kept. */
export interface SchedulePatch {
  name?: string;
  script?: string;
  cron?: string;
  /** A flat object or the v3 array (JSON text accepted). */
  params?: unknown;
  /** A disabled schedule does not fire; enabling it again starts from the next slot. */
  enabled?: boolean;
}

/** A cron expression explained: `preview`. */
export interface CronPreview {
  cron: string;
  /** In words ("At 02:30, every day"); null when it cannot be said in words. */
  description: string | null;
  /** The service's time zone, in which the expression is read (IANA name). */
  timeZone: string;
  /** The next run times (ISO, UTC), as the scheduler computes them. */
  next: string[];
}

export interface ScheduleOps {
  list(): Promise<ScheduleRecord[]>;
  /** By ID or name (case-insensitive); SCHEDULE_NOT_FOUND when there is none. */
  get(idOrName: string): Promise<ScheduleRecord>;
  /**
   * Adds a schedule, enabled unless `enabled` is false. INVALID_CRON, SCRIPT_NOT_FOUND,
   * INVALID_REQUEST (params), ALREADY_EXISTS.
   */
  create(
    input: { name: string; script: string; cron: string; params?: unknown; enabled?: boolean },
  ): Promise<ScheduleRecord>;
  /** SCHEDULE_NOT_FOUND when there is none. */
  remove(idOrName: string): Promise<void>;
  /**
   * Changes a schedule, checked as `create` checks (INVALID_CRON, SCRIPT_NOT_FOUND,
   * INVALID_REQUEST, ALREADY_EXISTS); a new expression or enabling it moves its next run to
   * the next slot from now; disabling clears it.
   */
  update(idOrName: string, patch: SchedulePatch): Promise<ScheduleRecord>;
  /**
   * Starts the schedule's script now, with its parameters, as `jobs.submit` does (trigger and
   * caller given); the schedule's own slots are not moved.
   */
  runNow(idOrName: string, input: Pick<SubmitInput, "trigger" | "caller">): Promise<JobView>;
  /**
   * What `cron` means and its next `count` run times (default 5, at most 50) after `from`
   * (default now); INVALID_CRON when it is not a usable expression.
   */
  preview(cron: string, opts?: { count?: number; from?: Date }): Promise<CronPreview>;
}

/** What the schedule operations need from the job operations. */
export interface ScheduleDeps {
  submit(input: SubmitInput): Promise<JobView>;
}

/** The service's time zone, as the scheduler reads cron expressions in it. */
export function serviceTimeZone(): string {
  return Intl.DateTimeFormat().resolvedOptions().timeZone;
}

function checkParams(params: unknown): Record<string, string> {
  try {
    return parseParams(params ?? {});
  } catch (err) {
    if (!(err instanceof ParamsError)) throw err;
    throw new EngineError("INVALID_REQUEST", err.message);
  }
}

/** The schedule operations over `core`. */
export function createScheduleOps(core: EngineCore, deps: ScheduleDeps): ScheduleOps {
  const store = core.store;
  const find = async (idOrName: string) => {
    const s = await store.schedules.get(idOrName);
    if (!s) throw new EngineError("SCHEDULE_NOT_FOUND", `No schedule "${idOrName}"`);
    return s;
  };
  const checkCron = async (cron: string) => {
    const { validateCron } = await import("./schedules.ts");
    const problem = validateCron(cron);
    if (problem) throw new EngineError("INVALID_CRON", problem);
  };
  const checkScript = async (script: string) => {
    if (!(await store.scripts.getByName(script))) {
      throw new EngineError("SCRIPT_NOT_FOUND", `No stored script named "${script}"`);
    }
  };
  return guarded({
    list: () => store.schedules.list(),
    get: find,
    async create(
      input: { name: string; script: string; cron: string; params?: unknown; enabled?: boolean },
    ) {
      const name = checkName("schedule", input.name);
      await checkCron(input.cron);
      await checkScript(input.script);
      const params = checkParams(input.params);
      const { nextRun } = await import("./schedules.ts");
      return await store.schedules.create({
        name,
        script: input.script,
        cron: input.cron,
        params,
        enabled: input.enabled !== false,
        nextRunAt: input.enabled === false ? null : nextRun(input.cron, new Date()),
      });
    },
    async remove(idOrName: string) {
      if (!(await store.schedules.remove(idOrName))) {
        throw new EngineError("SCHEDULE_NOT_FOUND", `No schedule "${idOrName}"`);
      }
    },
    async update(idOrName: string, patch: SchedulePatch) {
      const s = await find(idOrName);
      const name = patch.name === undefined ? undefined : checkName("schedule", patch.name);
      if (patch.cron !== undefined) await checkCron(patch.cron);
      if (patch.script !== undefined) await checkScript(patch.script);
      const params = patch.params === undefined ? undefined : checkParams(patch.params);
      const cron = patch.cron ?? s.cron;
      const enabled = patch.enabled ?? s.enabled;
      let nextRunAt: string | null | undefined;
      if (!enabled) nextRunAt = null;
      else if (cron !== s.cron || !s.enabled) {
        nextRunAt = (await import("./schedules.ts")).nextRun(cron, new Date());
      }
      return await store.schedules.update(s.id, {
        name,
        script: patch.script,
        cron: patch.cron,
        params,
        enabled: patch.enabled,
        nextRunAt,
      });
    },
    async runNow(idOrName: string, input: Pick<SubmitInput, "trigger" | "caller">) {
      const s = await find(idOrName);
      return await deps.submit({ target: { scriptName: s.script }, params: s.params, ...input });
    },
    async preview(cron: string, opts: { count?: number; from?: Date } = {}) {
      await checkCron(cron);
      const count = Math.max(1, Math.min(opts.count ?? 5, 50));
      const { nextRun } = await import("./schedules.ts");
      const next: string[] = [];
      let at = opts.from ?? new Date();
      while (next.length < count) {
        const n = nextRun(cron, at);
        if (n === null) break;
        next.push(n);
        at = new Date(n);
      }
      return { cron, description: describeCron(cron), timeZone: serviceTimeZone(), next };
    },
  });
}
