/**
 * Cron schedules (croner). The scheduler checks due schedules every second; firing a schedule
 * moves its `nextRunAt` forward and creates the job in one transaction that only succeeds when
 * `nextRunAt` still holds the due time, so a restart, or two processes on one database, never
 * run one slot twice.
 *
 * Misfire policy (stated in the README): runs missed while the service was down are caught up
 * with **one** run at start-up, whatever their number (as systemd's `Persistent=true` timers
 * do); the schedule then continues from the next slot after now. Times are in the service's
 * local time zone.
 *
 * @module
 */

import { Cron } from "croner";
import type { JobView, ScheduleRecord } from "../store/types.ts";
import { EngineError } from "./errors.ts";
import type { EngineCore } from "./types.ts";

/**
 * Fires one due slot of a schedule: creates its job and moves it to `next`, at most once per
 * slot; undefined when another process fired the slot first (see `jobs.ts`).
 */
export type FireSchedule = (s: ScheduleRecord, next: string | null) => Promise<JobView | undefined>;

/** A one-sentence problem with `expr`, or null when it is a usable cron expression. */
export function validateCron(expr: string): string | null {
  const bad = (why: string) => `Bad cron expression "${expr}": ${why}`;
  const t = expr.trim();
  if (t.startsWith("@") && !/^@(yearly|annually|monthly|weekly|daily|hourly)$/i.test(t)) {
    return bad("of the @ forms, schedules take @hourly, @daily, @weekly, @monthly, @yearly");
  }
  const fields = t.split(/\s+/).length;
  if (!t.startsWith("@") && (fields < 5 || fields > 7)) {
    return bad(
      `it has ${fields} field${
        fields === 1 ? "" : "s"
      }; it takes five (minute hour day month weekday), six with seconds first, or seven with a year last`,
    );
  }
  try {
    const c = new Cron(expr, { paused: true });
    if (c.nextRun() === null) return `The cron expression "${expr}" never fires`;
    return null;
  } catch (err) {
    // croner's own words, less its prefixes; one of them counts a field's values, not its
    // largest (minutes "(60)"), so it is said without the number.
    const why = (err as Error).message.replace(/^CronPattern: /, "").replace(/^Syntax error, /, "")
      .replace(
        /steps cannot be greater than maximum value of part \(\d+\)/,
        "a step (/N) is larger than its field's range",
      );
    return bad(why);
  }
}

/** The first run strictly after `after`, as ISO text; null when there is none. */
export function nextRun(expr: string, after: Date): string | null {
  return new Cron(expr, { paused: true }).nextRun(after)?.toISOString() ?? null;
}

/** Checks every second for due schedules and fires them. */
export class Scheduler {
  readonly #core: EngineCore;
  readonly #fire: FireSchedule;
  readonly #log: (msg: string) => void;
  #timer?: ReturnType<typeof setInterval>;
  #busy = false;

  constructor(core: EngineCore, opts: { fire: FireSchedule; log?: (msg: string) => void }) {
    this.#core = core;
    this.#fire = opts.fire;
    this.#log = opts.log ?? (() => {});
  }

  /** Fires what is due now (catching up missed runs once), then checks every second. */
  async start(): Promise<void> {
    await this.tick(true);
    this.#timer = setInterval(() => this.tick(false), 1000);
  }

  stop(): void {
    clearInterval(this.#timer);
  }

  /** Fires every due schedule once. */
  async tick(startup = false): Promise<void> {
    if (this.#busy) return;
    this.#busy = true;
    try {
      const now = new Date();
      for (const s of await this.#core.store.schedules.list()) {
        if (!s.enabled || !s.nextRunAt || new Date(s.nextRunAt) > now) continue;
        let next: string | null;
        try {
          next = nextRun(s.cron, now);
        } catch {
          next = null;
        }
        const missed = next !== null && startup && nextRun(s.cron, new Date(s.nextRunAt)) !== next;
        let job: JobView | undefined;
        try {
          job = await this.#fire(s, next);
        } catch (err) {
          if (!(err instanceof EngineError && err.code === "SCRIPT_NOT_FOUND")) throw err;
          this.#log(
            `schedule "${s.name}": no stored script named "${s.script}"; skipping this run`,
          );
          await this.#core.store.schedules.setNext(s.id, next);
          continue;
        }
        if (job) {
          this.#log(
            `schedule "${s.name}" started job ${job.id}${
              missed ? " (catching up on runs missed while the service was down: one run)" : ""
            }`,
          );
        }
      }
    } catch (err) {
      this.#log(`scheduler: ${String(err)}`);
    } finally {
      this.#busy = false;
    }
  }
}
