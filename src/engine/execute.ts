/**
 * Runs one job on a runner process and records it: status, log lines (redacted), exit code,
 * timeout and halt with a grace period, memory limit, crashes. `aft run`, the service's job
 * queue and schedules all come through here.
 *
 * @module
 */

import type { ClaimRequest, JobRecord, JobStatus, LogLevel, LogLine } from "../store/types.ts";
import type { JobSpec, RunnerMessage } from "../runtime/protocol/messages.ts";
import type { Runner, Runners } from "../runtime/protocol/runner.ts";
import type { TransferProgress } from "../vfs/progress.ts";
import type { EngineCore as Engine } from "./types.ts";
import { addMarks, cleanMarks, mark } from "../timings.ts";
import { every } from "../timers.ts";
import { Redactor } from "./redact.ts";
import { isCredentialOption } from "./vfs_library.ts";
import { isDiskFull, reportStoreFailure } from "./store_failure.ts";
import {
  cutLine,
  droppedNote,
  endCut,
  LogBudget,
  type LogDropped,
} from "../runtime/protocol/log_limits.ts";

const LOG_FLUSH_MS = 200;
/**
 * Log lines waiting to be stored at which the runner is read no further until they are: a
 * script that logs faster than the store writes is slowed down instead of filling memory.
 */
const LOG_BACKLOG_LINES = 5000;
/**
 * The most of an error a job's record keeps (characters). The record's error is shown on the
 * job's page in the console and sent with every job the API lists; the whole text is in the
 * job's log, as a line (within the log's limits). A single-line error of 5 MB (a script's, or
 * a server's text quoted in one) was stored and listed whole.
 */
export const MAX_JOB_ERROR_CHARS = 2_000;

/** `error` cut to {@linkcode MAX_JOB_ERROR_CHARS}, saying how long it was (never half a pair). */
export function recordedError(error: string): string {
  if (error.length <= MAX_JOB_ERROR_CHARS) return error;
  let cut = error.slice(0, MAX_JOB_ERROR_CHARS);
  if (/[\uD800-\uDBFF]$/.test(cut)) cut = cut.slice(0, -1);
  return `${cut}... (${error.length} characters; the job's log has more)`;
}

/** Progress of the job's current transfer (the one progress record, from `vfs/progress.ts`). */
/**
 * The abort reason for a job that is no longer this node's (its lease ran out and another node
 * failed it): the job is stopped, and neither its end nor its last lines are recorded.
 */
export const JOB_LOST = "aft:job-lost";

export type JobProgress = TransferProgress;

export interface ExecuteOptions {
  /** Where the job's runner comes from: a pool of runner processes, or this process. */
  pool: Runners;
  /** Aborting it halts the job (Ctrl-C, API halt, service shutdown). */
  signal?: AbortSignal;
  onLog?(line: LogLine): void;
  onProgress?(p: JobProgress): void;
  /**
   * The queue's next job, claimed with this one's end in one store call: asked once the end is
   * known, it returns who claims (or undefined: claim nothing), and `take` receives what was
   * claimed. Not asked when the job's end is not recorded (its lease was lost).
   */
  next?: {
    request(): Promise<ClaimRequest | undefined>;
    take(job: JobRecord): void;
  };
  /** Called once the runner has the job: what need not come before the script can start then. */
  onStarted?(): void;
}

/** What the script source is and how stack traces name it. */
export interface JobSource {
  source: string;
  fileName: string;
  /**
   * Whether errors may quote the source (a syntax error's line); default true. False for jobs
   * whose caller may not be able to read the file (REST `filePath` jobs).
   */
  quoteSource?: boolean;
}

/** Runs `job` (recorded as queued, or as running by this node) to its end; returns the final record. */
export async function executeJob(
  engine: Engine,
  job: JobRecord,
  src: JobSource,
  opts: ExecuteOptions,
): Promise<JobRecord> {
  const settings = await engine.settings();
  const redactor = new Redactor();
  const limits = { maxLineBytes: settings.logMaxLineBytes, maxBytes: settings.logMaxBytesPerJob };
  const budget = new LogBudget(limits);
  /** What the script dropped over the limit before its lines reached us (a running total). */
  let scriptDropped: LogDropped = { lines: 0, bytes: 0 };
  let seq = 0;
  let buffered: LogLine[] = [];
  let flushing = Promise.resolve();
  /** Why log lines of this job could not be stored, once one batch could not. */
  let logLost: unknown;

  /** True once the job was found no longer this node's (see `JOB_LOST`). */
  const lost = () => opts.signal?.aborted === true && opts.signal.reason === JOB_LOST;
  const flush = () => {
    // A lost job's log was closed by the node that failed it: its lines would replace that end.
    if (lost()) buffered = [];
    if (buffered.length === 0) return flushing;
    const lines = buffered;
    buffered = [];
    flushing = flushing.then(async () => {
      try {
        await engine.store.jobs.appendLogs(lines);
      } catch (err) {
        logLost ??= err;
        reportStoreFailure(`cannot store log lines of job ${job.id}`, err);
      }
    });
    return flushing;
  };
  // Not setInterval: see timers.ts (every job pays for this one, `aft run` on its critical path).
  const flushTimer = every(LOG_FLUSH_MS, () => void flush());

  /**
   * Records a line. The script's and the host's lines count against the job's log limit; the
   * engine's own (`force`: halts, the outcome) are always kept. Returns a promise when so many
   * lines wait to be stored that the caller should wait before sending more.
   */
  const log = (
    level: LogLevel,
    text: string,
    ts = new Date().toISOString(),
    force = false,
    cutFrom?: number,
  ): Promise<void> | undefined => {
    // A line the Worker cut comes without its note: redacted here first, with an end that
    // could be the start of a secret the cut split (see Redactor.applyBeforeCut).
    let redacted: string;
    try {
      redacted = cutFrom === undefined
        ? redactor.apply(text)
        : endCut(redactor.applyBeforeCut(text), cutFrom, limits.maxLineBytes);
    } catch (err) {
      // Never the line itself: it could not be checked for secrets.
      redacted = `[a line was withheld: aft could not check it for secrets (${errorName(err)})]`;
    }
    const kept = force ? cutLine(redacted, limits.maxLineBytes) : budget.admit(redacted);
    if (kept === undefined) return undefined;
    const line: LogLine = { jobId: job.id, seq: ++seq, ts, level, text: kept };
    buffered.push(line);
    engine.bus.emit({ type: "log", line });
    opts.onLog?.(line);
    return buffered.length >= LOG_BACKLOG_LINES ? flush() : undefined;
  };
  const note = (level: LogLevel, text: string) => void log(level, text, undefined, true);

  // The queue's claim and `aft run` record the job as running already (status, start, node,
  // owner): only a job handed over still queued is written here, one write less per job.
  let record = job.status === "running" && job.startedAt !== null && job.node === engine.node
    ? job
    : await engine.store.jobs.update(job.id, {
      status: "running",
      startedAt: new Date().toISOString(),
      node: engine.node,
    });
  engine.bus.emit({ type: "job", job: record });
  mark("job marked running");

  let runner: Runner | undefined;
  let outcome: {
    code: number | null;
    error: string | null;
    reusable: boolean;
    bytes: number;
    peakRss?: number;
  };
  let haltRequested = false;
  let jobEnded = false;
  /** The halt signal was sent (by a halt request, the time-out or a service stop). */
  let halting = false;
  let timedOut = false;
  let killTimer: ReturnType<typeof setTimeout> | undefined;
  let timeoutTimer: ReturnType<typeof setTimeout> | undefined;

  try {
    runner = await opts.pool.acquire(settings.jobMemoryMiB);
    mark("runner acquired");
    const r = runner;
    const halt = (why: string) => {
      // After the exit message the runner may already serve another job: never halt it then.
      if (halting || jobEnded) return;
      halting = true;
      note("warn", why);
      r.send({ t: "halt" });
      // The grace as it is now, not as it was when the job started: the service's stop line
      // says the current one, and a job that runs for days would keep a stale one.
      void engine.settings(true).catch(() => settings).then((now) => {
        if (jobEnded) return;
        const grace = now.haltGraceSeconds;
        killTimer = setTimeout(() => {
          note("error", `The script did not stop within ${grace} s of the halt signal: killing it`);
          r.kill();
        }, grace * 1000);
      });
    };
    const onAbort = () => {
      haltRequested = true;
      halt("Halt requested: sending the halt signal to the script");
    };
    if (settings.jobTimeoutSeconds > 0) {
      timeoutTimer = setTimeout(() => {
        timedOut = true;
        halt(
          `The job ran longer than ${settings.jobTimeoutSeconds} s (setting jobTimeoutSeconds): halting it`,
        );
      }, settings.jobTimeoutSeconds * 1000);
    }

    /**
     * Ends the job when a message of its runner could not be handled (a fault of aft's, not
     * the script's): without this the runner's messages would stop being read, and the job
     * would wait for its exit message for ever. Says only the error's name: its message could
     * hold what the redactor failed on.
     */
    let broken!: (why: string) => void;
    const brokenMsg = new Promise<string>((resolve) => broken = resolve);
    const exitMsg = new Promise<Extract<RunnerMessage, { t: "exit" }>>((resolve) => {
      r.listen((m) => {
        try {
          return handle(m);
        } catch (err) {
          broken(
            `aft could not handle a message from the job's runner (an internal error: ${
              errorName(err)
            }), so the job was stopped`,
          );
        }
      });
      const handle = (m: RunnerMessage) => {
        switch (m.t) {
          case "log":
            return log(m.level, m.text, m.ts, false, m.cutFrom);
          case "logDropped":
            scriptDropped = { lines: m.lines, bytes: m.bytes };
            break;
          case "progress":
            opts.onProgress?.(m);
            engine.bus.emit({ type: "progress", jobId: job.id, ...m });
            break;
          case "request":
            answer(engine, redactor, job.scriptName, m).then(
              (value) => r.send({ t: "reply", id: m.id, ok: true, value }),
              (err) => r.send({ t: "reply", id: m.id, ok: false, error: String(err) }),
            );
            break;
          case "exit":
            mark("exit message received");
            addMarks(cleanMarks(m.timings), "runner");
            resolve(m);
            break;
        }
      };
    });
    const spec: JobSpec = {
      jobId: job.id,
      scriptName: job.scriptName,
      source: src.source,
      fileName: src.fileName,
      params: job.params,
      quoteSource: src.quoteSource ?? true,
      limits: {
        localRoots: settings.localRoots,
        transferConcurrency: settings.transferConcurrency,
        log: limits,
        workerReuse: settings.scriptWorkerReuse,
      },
      smtp: {
        host: settings["smtp.host"],
        port: settings["smtp.port"],
        tls: settings["smtp.tls"],
        user: settings["smtp.user"],
        passSecret: settings["smtp.passSecret"],
        from: settings["smtp.from"],
        caFile: settings["smtp.caFile"],
      },
    };
    r.send({ t: "start", job: spec });
    opts.onStarted?.();
    // Only after "start": the runner drops a halt that arrives while it has no job, so a halt
    // requested while the job was still being set up must follow the start message.
    if (opts.signal?.aborted) onAbort();
    opts.signal?.addEventListener("abort", onAbort, { once: true });
    const ended = await Promise.race([exitMsg, r.exited, brokenMsg]);
    jobEnded = true;
    if (typeof ended === "string") {
      r.kill();
      outcome = { code: null, error: ended, reusable: false, bytes: 0 };
    } else if ("t" in ended) {
      outcome = {
        code: ended.code,
        error: ended.error ?? null,
        reusable: ended.reusable,
        bytes: ended.bytesTransferred,
        peakRss: ended.peakRssBytes,
      };
    } else {
      const error = halting && !r.alive && /SIGKILL|SIGTERM/.test(String(ended.signal))
        ? (timedOut
          ? `The job ran longer than ${settings.jobTimeoutSeconds} s (setting jobTimeoutSeconds) and was killed`
          : "The job was halted and killed after the grace period")
        : r.describeExit(ended);
      outcome = { code: null, error, reusable: false, bytes: 0 };
    }
  } catch (err: unknown) {
    outcome = {
      code: null,
      error: `Cannot start the job: ${err instanceof Error ? err.message : String(err)}`,
      reusable: false,
      bytes: 0,
    };
  } finally {
    // Only when set: the first call of clearTimeout loads Node's timers (see timers.ts).
    if (timeoutTimer !== undefined) clearTimeout(timeoutTimer);
    if (killTimer !== undefined) clearTimeout(killTimer);
  }

  if (outcome.error) note("error", outcome.error);
  let status: JobStatus = timedOut
    ? "failed"
    : haltRequested
    ? "halted"
    : outcome.code === 0
    ? "succeeded"
    : "failed";
  let error = status === "succeeded" ? null : outcome.error?.split("\n")[0] ??
    (status === "halted"
      ? `Halted on request; the script ended with exit code ${outcome.code}`
      : outcome.code !== null
      ? `The script exited with code ${outcome.code}`
      : null);
  if (status === "failed" && !outcome.error && outcome.code !== null) {
    note("error", `The script exited with code ${outcome.code}`);
  }

  const dropped = budget.dropped;
  if (scriptDropped.lines + dropped.lines > 0) {
    note(
      "warn",
      droppedNote({
        lines: scriptDropped.lines + dropped.lines,
        bytes: scriptDropped.bytes + dropped.bytes,
      }, limits.maxBytes),
    );
  }

  flushTimer.stop();
  await flush();
  if (runner) opts.pool.release(runner, outcome.reusable && runner.alive);
  if (lost()) {
    // Another node failed it (its lease ran out): that end stands.
    record = (await engine.store.jobs.get(job.id).catch(() => undefined)) ?? record;
    engine.bus.emit({ type: "job", job: record });
    return record;
  }
  if (logLost !== undefined && status === "succeeded") {
    // A job whose log was not kept whole did not succeed, whatever the script said.
    status = "failed";
    error = isDiskFull(logLost)
      ? "The job's log could not be stored because the disk is full"
      : `The job's log could not be stored: ${
        logLost instanceof Error ? logLost.message : String(logLost)
      }`;
    note("error", error);
    await flush();
  }
  const patch = {
    status,
    exitCode: outcome.code ?? (status === "succeeded" ? 0 : 1),
    // Redacted first: a cut could leave the start of a secret the redactor no longer knows.
    error: error === null ? null : recordedError(redactor.apply(error)),
    finishedAt: new Date().toISOString(),
    bytesTransferred: outcome.bytes,
    peakRssBytes: outcome.peakRss ?? null,
  };
  try {
    // A claim that cannot be asked for is left to the queue's next look.
    const claim = opts.next && await opts.next.request().catch(() => undefined);
    if (claim) {
      const ended = await engine.store.jobs.finishAndClaim(job.id, patch, claim);
      record = ended.job;
      if (ended.next) opts.next!.take(ended.next);
    } else {
      record = await engine.store.jobs.update(job.id, patch);
    }
    mark("job end recorded");
  } catch (err) {
    // The row still reads "running" (never "succeeded"): the next start marks it failed.
    reportStoreFailure(`cannot record the end of job ${job.id}`, err);
    const why = isDiskFull(err) ? "the disk is full" : String(err);
    record = {
      ...record,
      ...patch,
      status: "failed",
      exitCode: patch.exitCode === 0 ? 1 : patch.exitCode,
      error: `The end of the job could not be recorded because ${why}${
        patch.error ? `: ${patch.error}` : ""
      }`,
    };
  }
  engine.bus.emit({ type: "job", job: record });
  return record;
}

/** Answers a runner's request for a secret or a VFS Library entry, learning what to redact. */
async function answer(
  engine: Engine,
  redactor: Redactor,
  scriptName: string,
  req: Extract<RunnerMessage, { t: "request" }>,
): Promise<unknown> {
  if (req.op === "secret") {
    const value = await engine.secrets.get(req.name);
    redactor.add(value);
    return value ?? null;
  }
  if (req.op === "watchState") {
    // Kept per script: a watcher's state belongs to the script that runs it, not to one job.
    const key = `${scriptName}\n${req.key}`;
    if (req.state === undefined) return (await engine.store.watchState.get(key)) ?? null;
    await engine.store.watchState.set(key, req.state);
    return null;
  }
  if (req.op === "vfsNames") {
    return (await engine.vfs.list()).map((v) => v.name).sort((a, b) => a.localeCompare(b));
  }
  if (req.op === "hostKey") {
    const recorded = await engine.vfs.pinHostKey(req.name, req.fingerprint);
    return recorded;
  }
  const def = await engine.vfs.get(req.name);
  if (!def) return null;
  for (const [k, v] of Object.entries(def.options)) {
    if (isCredentialOption(k)) redactor.add(v);
  }
  return def;
}

/** An error's name (`RangeError`), never its message, for text that must not hold a secret. */
function errorName(err: unknown): string {
  return err instanceof Error ? err.name : typeof err;
}
