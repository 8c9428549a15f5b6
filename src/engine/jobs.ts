/**
 * `engine.jobs`: the one way a job is made (`submit`, for REST, `aft start`, `aft run`, the
 * web console; and `fireSchedule` for schedules, which shares its target rules and uses the
 * store's atomic slot), and the job history: get, list, log, follow, halt.
 *
 * The rules live here once: exactly one target (stored script by name or ID, or a file path);
 * parameters as a flat object or the v3 array; a file path needs the `files` scope and a
 * published script file (`script_files.ts`), except for `aft run` on this machine, which needs
 * the setting `allowCliRun` instead; no new job while the service stops.
 *
 * @module
 */

import {
  FINISHED,
  JOB_STATUSES,
  JOB_TRIGGERS,
  type JobRecord,
  type JobStatus,
  type JobTrigger,
  type JobView,
  type LogLine,
  type NewAuditEntry,
} from "../store/types.ts";
import type { ScheduleRecord } from "../store/types.ts";
import { type Caller, hasScope } from "./access.ts";
import { EngineError, fromStoreError, guarded } from "./errors.ts";
import { ParamsError, parseParams } from "./params.ts";
import { checkRunFile, checkScriptFile, scriptNameOf } from "./script_files.ts";
import type { EngineCore } from "./types.ts";
import { mark } from "../timings.ts";

/** A job request: one target, parameters, who asks and through what. */
export interface SubmitInput {
  /** Exactly one of the three. */
  target: { scriptName?: string; scriptId?: string; filePath?: string };
  /** A flat object or the v3 `[{"name","value"}]` array (JSON text accepted). */
  params?: unknown;
  trigger: JobTrigger;
  caller: Caller;
  /**
   * Record the job as already running in this process (`aft run` without a service), to be
   * run with `execute`; otherwise it is queued for the service's queue.
   */
  here?: boolean;
  /**
   * The job's audit entry, made from the new job: written in the same transaction as the job,
   * so that no job is stored without it (see `audited.ts`).
   */
  audit?: (job: JobRecord) => NewAuditEntry;
}

export interface JobPage {
  jobs: JobView[];
  /** Give it as `cursor` for the next page; null on the last. */
  nextCursor: string | null;
}

/** What `follow` yields: log lines as they are stored, then the job once it has ended. */
export type FollowEvent = { type: "line"; line: LogLine } | { type: "end"; job: JobView };

/** What the job operations need from the part of the engine that runs jobs. */
export interface JobRunners {
  /** True while the service stops: no new jobs. */
  stopping(): boolean;
  /** A job was queued: look for it now. */
  wake(): void;
  /**
   * Halts a job this process runs or a queued one; undefined when this process runs no
   * queue and the job is not its own.
   */
  halt(id: string): Promise<JobRecord | undefined>;
  /** This process, as the owner of the jobs it runs. */
  owner: string;
}

export interface JobOps {
  /** Checks a job request against every rule and records the job; returns it `queued`. */
  submit(input: SubmitInput): Promise<JobView>;
  /** JOB_NOT_FOUND when there is none. */
  get(id: string): Promise<JobView>;
  /** Newest first; INVALID_CURSOR for a cursor this service did not give. */
  list(filter?: JobListFilter): Promise<JobPage>;
  /** The job and its log lines after `after` (a line's `seq`), at most `limit` when given. */
  log(id: string, after?: number, limit?: number): Promise<{ job: JobView; lines: LogLine[] }>;
  /**
   * The `seq` of the job's last log line stored so far; 0 when it has none, or there is no
   * such job (its page has read the job already: not read twice).
   */
  lastLogSeq(id: string): Promise<number>;
  /**
   * Log lines as they are stored, by this process or any other on the database, until the
   * job ends. `pollMs`: how often the store is read when this process is told nothing.
   */
  follow(
    id: string,
    opts?: { after?: number; pollMs?: number; signal?: AbortSignal },
  ): AsyncGenerator<FollowEvent>;
  /**
   * Sends the halt signal to a running job (it ends `halted`); a queued one is halted at once.
   * JOB_FINISHED when it has ended; NO_QUEUE when another process runs it and this one cannot
   * reach it.
   */
  halt(id: string): Promise<JobView>;
  /** Counts for metrics. */
  stats(): Promise<{ byStatus: Record<JobStatus, number>; bytes: number }>;
  /**
   * The last `hours` hours (default 24, at most 24 * 31), hour by hour (UTC hours, oldest
   * first, every hour present): jobs that ended in it by status, and the bytes they moved.
   */
  hourly(opts?: { hours?: number; now?: Date }): Promise<HourSummary[]>;
  /**
   * Starts the job's script again with the same parameters: a new job with the given trigger
   * and caller, under the same rules as `submit`.
   */
  rerun(id: string, input: Pick<SubmitInput, "trigger" | "caller" | "audit">): Promise<JobView>;
}

/** What `list` filters by; every field optional. */
export interface JobListFilter {
  status?: string;
  /** Script name, case-insensitive. */
  script?: string;
  /** `api`, `cli`, `schedule` or `ui`. */
  trigger?: string;
  /** Jobs created at or after this time (ISO 8601). */
  from?: string;
  /** Jobs created before this time (ISO 8601). */
  to?: string;
  limit?: number;
  cursor?: string;
}

/** One hour of `hourly`. */
export interface HourSummary {
  /** Start of the hour, ISO (UTC). */
  hour: string;
  succeeded: number;
  failed: number;
  halted: number;
  /** Bytes moved by the jobs that ended in this hour. */
  bytes: number;
}

/** `text` as an ISO time, or INVALID_REQUEST naming `what`. */
function isoTime(text: string, what: string): string {
  const d = new Date(text);
  if (Number.isNaN(d.getTime())) {
    throw new EngineError("INVALID_REQUEST", `${what} takes a date and time, not "${text}"`);
  }
  return d.toISOString();
}

/** Log lines read from the store at once while following a log. */
const LOG_BATCH = 1000;

/** The job as every surface shows it. */
export function jobView(j: JobRecord): JobView {
  const { owner: _, ...view } = j;
  return view;
}

const CURSOR = /^[0-9a-hjkmnp-tv-z]{26}$/;

/** The job operations over `core`, with `runners` for what runs them. */
export function createJobOps(core: EngineCore, runners: JobRunners) {
  const store = core.store;

  const find = async (id: string): Promise<JobRecord> => {
    const job = await store.jobs.get(id);
    if (!job) throw new EngineError("JOB_NOT_FOUND", `No job with ID "${id}"`);
    return job;
  };

  /** The stored script a target names. */
  const storedScript = async (target: { scriptName?: string; scriptId?: string }) => {
    const script = target.scriptId !== undefined
      ? await store.scripts.get(target.scriptId)
      : await store.scripts.getByName(target.scriptName!);
    if (!script) {
      throw new EngineError(
        "SCRIPT_NOT_FOUND",
        target.scriptId !== undefined
          ? `No stored script with ID "${target.scriptId}"`
          : `No stored script named "${target.scriptName}"`,
      );
    }
    return script;
  };

  async function submit(input: SubmitInput): Promise<JobView> {
    if (runners.stopping() && !input.here) {
      throw new EngineError("SHUTTING_DOWN", "The service is shutting down and takes no new jobs");
    }
    const given = (["scriptName", "scriptId", "filePath"] as const).filter((k) =>
      input.target[k] !== undefined
    );
    if (given.length !== 1) {
      throw new EngineError(
        "INVALID_REQUEST",
        given.length === 0
          ? "Give one of scriptName, scriptId or filePath"
          : `Give only one of scriptName, scriptId or filePath, not ${given.join(" and ")}`,
      );
    }
    let params: Record<string, string>;
    try {
      params = parseParams(input.params ?? {});
    } catch (err) {
      if (!(err instanceof ParamsError)) throw err;
      throw new EngineError("INVALID_REQUEST", err.message);
    }
    if (input.trigger === "cli") {
      // `aft run`: the machine's own user, on this machine, while an administrator allows it.
      if (input.caller.kind !== "local" || input.target.filePath === undefined) {
        throw new EngineError(
          "MISSING_SCOPE",
          "Only aft run on the service's machine starts cli jobs",
        );
      }
      const allowed = (await core.settings(true)).allowCliRun;
      mark("settings read (allowCliRun)");
      if (!allowed) {
        throw new EngineError(
          "CLI_RUN_OFF",
          "Running scripts from the command line is off: an administrator can allow it with `aft settings set allowCliRun true`",
        );
      }
    }
    let job: Pick<JobRecord, "scriptId" | "scriptName" | "filePath">;
    const filePath = input.target.filePath;
    if (filePath !== undefined) {
      if (!hasScope(input.caller, "files")) {
        throw new EngineError("MISSING_SCOPE", "Starting a job from a file needs the files scope");
      }
      let path: string;
      if (input.trigger === "cli") path = await checkRunFile(filePath);
      else {
        // Read now, not from the one-second cache: a folder an administrator has just allowed
        // (or taken away) counts from the next request.
        const { scriptRoots, localRoots } = await core.settings(true);
        checkScriptFile(filePath, { scriptRoots, localRoots, dataDir: core.dataDir });
        path = filePath;
      }
      job = { scriptId: null, scriptName: scriptNameOf(path), filePath: path };
    } else {
      const script = await storedScript(input.target);
      job = { scriptId: script.id, scriptName: script.name, filePath: null };
    }
    const rec = await store.jobs.create({
      ...job,
      params,
      trigger: input.trigger,
      ...(input.here ? { running: { node: core.node, owner: runners.owner } } : {}),
    }, input.audit);
    if (!input.here) runners.wake();
    return jobView(rec);
  }

  async function* follow(
    id: string,
    opts: { after?: number; pollMs?: number; signal?: AbortSignal } = {},
  ): AsyncGenerator<FollowEvent> {
    let last = opts.after ?? 0;
    /** Running, on this node, and its owning process gone (asked at most every 2 s). */
    let ownerChecked = 0;
    const orphaned = async (j: JobRecord): Promise<boolean> => {
      if (j.status !== "running" || j.node !== core.node || !j.owner) return false;
      if (Date.now() - ownerChecked < 2000) return false;
      ownerChecked = Date.now();
      const { ownerAlive } = await import("./owner.ts");
      return !(await ownerAlive(j.owner));
    };
    /** The lines stored after `last`, read in batches. */
    async function* stored(): AsyncGenerator<LogLine> {
      for (;;) {
        const batch = await store.jobs.logs(id, last, LOG_BATCH);
        for (const line of batch) {
          last = line.seq;
          yield line;
        }
        if (batch.length < LOG_BATCH) return;
      }
    }
    let wake: () => void = () => {};
    const off = core.bus.on((e) => {
      if ((e.type === "log" && e.line.jobId === id) || (e.type === "job" && e.job.id === id)) {
        wake();
      }
    });
    const onAbort = () => wake();
    opts.signal?.addEventListener("abort", onAbort);
    try {
      await find(id);
      while (!opts.signal?.aborted) {
        let timer: ReturnType<typeof setTimeout> | undefined;
        const woke = new Promise<void>((r) => {
          wake = r;
          timer = setTimeout(r, opts.pollMs ?? 1000); // lines stored by another process
        });
        for await (const line of stored()) yield { type: "line", line };
        const cur = await store.jobs.get(id);
        if (cur && await orphaned(cur)) {
          // Recorded as running by a process of this node that is gone: nothing will end it
          // until a service starts here and marks it failed. Said as the end, still running.
          for await (const line of stored()) yield { type: "line", line };
          yield {
            type: "end",
            job: {
              ...jobView(cur),
              error:
                "The job is recorded as running, but the process that ran it is gone: it will be marked failed when aft serve next starts on this data directory",
            },
          };
          clearTimeout(timer);
          return;
        }
        if (!cur || FINISHED.includes(cur.status)) {
          // Lines are stored in batches: one more read after the end catches the last ones.
          for await (const line of stored()) yield { type: "line", line };
          if (cur) yield { type: "end", job: jobView(cur) };
          clearTimeout(timer);
          return;
        }
        await woke;
        clearTimeout(timer);
      }
    } catch (err) {
      throw fromStoreError(err);
    } finally {
      off();
      opts.signal?.removeEventListener("abort", onAbort);
    }
  }

  const ops = guarded({
    submit,
    get: async (id: string) => jobView(await find(id)),
    async list(filter: JobListFilter = {}) {
      if (filter.status !== undefined && !JOB_STATUSES.includes(filter.status as JobStatus)) {
        throw new EngineError(
          "INVALID_REQUEST",
          `Job status takes one of ${JOB_STATUSES.join(", ")}`,
        );
      }
      if (filter.cursor !== undefined && !CURSOR.test(filter.cursor)) {
        throw new EngineError(
          "INVALID_CURSOR",
          "The cursor is not one this service gave: use nextCursor of the previous page",
        );
      }
      const limit = filter.limit ?? 50;
      if (!Number.isInteger(limit) || limit < 1 || limit > 1000) {
        throw new EngineError("INVALID_REQUEST", "The limit takes a whole number from 1 to 1000");
      }
      if (filter.trigger !== undefined && !JOB_TRIGGERS.includes(filter.trigger as JobTrigger)) {
        throw new EngineError(
          "INVALID_REQUEST",
          `Job trigger takes one of ${JOB_TRIGGERS.join(", ")}`,
        );
      }
      const jobs = await store.jobs.list({
        status: filter.status as JobStatus | undefined,
        script: filter.script,
        trigger: filter.trigger as JobTrigger | undefined,
        createdFrom: filter.from === undefined ? undefined : isoTime(filter.from, "from"),
        createdTo: filter.to === undefined ? undefined : isoTime(filter.to, "to"),
        before: filter.cursor,
        limit,
      });
      return {
        jobs: jobs.map(jobView),
        nextCursor: jobs.length === limit ? jobs.at(-1)!.id : null,
      };
    },
    async log(id: string, after = 0, limit?: number) {
      const job = await find(id);
      return { job: jobView(job), lines: await store.jobs.logs(id, after, limit) };
    },
    lastLogSeq: (id: string) => store.jobs.lastLogSeq(id),
    async halt(id: string) {
      const job = await find(id);
      if (FINISHED.includes(job.status)) {
        throw new EngineError("JOB_FINISHED", `Job ${job.id} has already finished (${job.status})`);
      }
      const now = await runners.halt(id);
      if (!now) throw new EngineError("NO_QUEUE", "This process runs no jobs");
      return jobView(now);
    },
    stats: async () => ({
      byStatus: await store.jobs.countByStatus(),
      bytes: (await store.jobs.totals()).bytes,
    }),
    async hourly(opts: { hours?: number; now?: Date } = {}) {
      const hours = opts.hours ?? 24;
      if (!Number.isInteger(hours) || hours < 1 || hours > 24 * 31) {
        throw new EngineError("INVALID_REQUEST", "Hours take a whole number from 1 to 744");
      }
      const HOUR = 3600_000;
      const last = Math.floor((opts.now ?? new Date()).getTime() / HOUR) * HOUR;
      const out: HourSummary[] = [];
      const byHour = new Map<string, HourSummary>();
      for (let t = last - (hours - 1) * HOUR; t <= last; t += HOUR) {
        const h = { hour: new Date(t).toISOString(), succeeded: 0, failed: 0, halted: 0, bytes: 0 };
        out.push(h);
        byHour.set(h.hour.slice(0, 13), h);
      }
      for (const r of await store.jobs.hourly(out[0]!.hour)) {
        const h = byHour.get(r.hour);
        if (!h) continue;
        if (r.status === "succeeded" || r.status === "failed" || r.status === "halted") {
          h[r.status] += r.count;
        }
        h.bytes += r.bytes;
      }
      return out;
    },
    async rerun(id: string, input: Pick<SubmitInput, "trigger" | "caller" | "audit">) {
      const job = await find(id);
      const target = job.filePath !== null
        ? { filePath: job.filePath }
        : job.scriptId !== null && await store.scripts.get(job.scriptId)
        ? { scriptId: job.scriptId }
        : { scriptName: job.scriptName };
      return await submit({ target, params: job.params, ...input });
    },
  });

  /**
   * Fires one due slot of schedule `s` (the scheduler calls it): the same target rules as
   * `submit`, with the store's atomic `fire`, so a slot runs once whoever fires it.
   */
  async function fireSchedule(s: ScheduleRecord, next: string | null) {
    try {
      const script = await storedScript({ scriptName: s.script });
      const rec = await store.schedules.fire(s.id, s.nextRunAt!, next, {
        scriptId: script.id,
        scriptName: script.name,
        params: s.params,
      });
      if (!rec) return undefined;
      runners.wake();
      return jobView(rec);
    } catch (err) {
      throw fromStoreError(err);
    }
  }

  return { ops: { ...ops, follow } as JobOps, fireSchedule, find };
}
