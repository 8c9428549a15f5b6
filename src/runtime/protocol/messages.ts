/**
 * Every message of the script runtime, as discriminated unions.
 *
 * Two links:
 * - parent ⇄ runner process: length-prefixed JSON frames over the runner's stdin/stdout
 *   (`frames.ts`). The parent owns the job row, the store and the secrets; the runner owns
 *   the host handlers and the script's Worker.
 * - runner ⇄ worker: `postMessage` from the worker, replies through a SharedArrayBuffer the
 *   worker blocks on with `Atomics.wait` (`bridge.ts`). The calls themselves, with their
 *   argument and result types, are in `calls.ts`.
 *
 * @module
 */

import type { LogLevel } from "../../store/types.ts";
import type { TransferProgress } from "../../vfs/progress.ts";
import type { CallName } from "./calls.ts";
import type { LogDropped, LogLimits } from "./log_limits.ts";
import type { Mark } from "../../timings.ts";

/** What a runner needs to run one job. Secrets and VFS definitions are asked for on demand. */
export interface JobSpec {
  jobId: string;
  scriptName: string;
  /** Script source text. */
  source: string;
  /** Name shown in stack traces (`my-transfer.syncjs`). */
  fileName: string;
  params: Record<string, string>;
  /**
   * Whether an error may quote the script's source (the offending line of a syntax error).
   * False for jobs whose caller may not be able to read the file (REST `filePath` jobs).
   */
  quoteSource: boolean;
  /** Settings the host handlers enforce. */
  limits: {
    localRoots: string[];
    /** Files a CopyToVFS/MoveToVFS moves at once unless the call says otherwise. */
    transferConcurrency?: number;
    /** Bounds of the job's log (defaults in `log_limits.ts`). */
    log?: LogLimits;
    /**
     * Whether the script's Worker may serve later runs of the same script (setting
     * scriptWorkerReuse; absent: no). See `runner/script_host.ts`.
     */
    workerReuse?: boolean;
  };
  /** SMTP settings for SendMail (the password arrives through a secret request). */
  smtp?: SmtpSpec;
}

/** The SMTP settings a job's SendMail uses (from the `smtp.*` settings). */
export interface SmtpSpec {
  /** Empty when no SMTP server is configured: SendMail then fails with a clear message. */
  host: string;
  port: number;
  tls: "none" | "starttls" | "tls";
  user: string;
  /** Name of the secret holding the password; asked for with a `secret` request. */
  passSecret: string;
  /** Sender used when SendMail's `from` is empty. */
  from: string;
  /** PEM file of extra CA certificates to trust ("" = system roots only). */
  caFile: string;
}

/** Parent → runner. */
export type ParentMessage =
  | { t: "start"; job: JobSpec }
  | { t: "halt" }
  | { t: "reply"; id: number; ok: true; value: unknown }
  | { t: "reply"; id: number; ok: false; error: string }
  | { t: "shutdown" };

/** Requests a runner makes of its parent during a job. */
export type RunnerRequest =
  | { op: "secret"; name: string }
  | { op: "vfs"; name: string }
  /** The names of the VFS Library's entries. */
  | { op: "vfsNames" }
  /** Trust on first use: record the SSH host key seen for a library entry that had none. */
  | { op: "hostKey"; name: string; fingerprint: string }
  /** A RemoteWatcher's saved listing: read (`state` absent) or replaced. */
  | { op: "watchState"; key: string; state?: string };

/** Runner → parent. */
export type RunnerMessage =
  | { t: "ready"; pid: number }
  /** `cutFrom`: the line was cut; `text` is its start, which the parent ends with the note. */
  | { t: "log"; level: LogLevel; text: string; ts: string; cutFrom?: number }
  | ({ t: "progress" } & TransferProgress)
  /** Lines the script logged over the job's log limit so far (a running total). */
  | ({ t: "logDropped" } & LogDropped)
  | ({ t: "request"; id: number } & RunnerRequest)
  | {
    t: "exit";
    code: number;
    /** Why the script failed, when it did not simply call Exit(n). */
    error?: string;
    /** False when the runner cannot take another job (its worker could not be stopped). */
    reusable: boolean;
    peakRssBytes: number;
    bytesTransferred: number;
    /** The runner's and the Worker's start-up marks, when timings are on (`timings.ts`). */
    timings?: Mark[];
  };

/** Worker → runner. */
export type WorkerMessage =
  | { t: "call"; seq: number; method: CallName; args: unknown[] }
  /**
   * A log line, already cut to the line limit. The runner acknowledges each one (slot
   * `LOG_ACKED` of the shared buffer) once it has passed it on; the worker waits when too many
   * are unacknowledged, so a script that logs faster than the log is stored is slowed, not
   * queued without bound. A line over the limit comes as its start alone, with `cutFrom` its
   * full size: the parent redacts it before it adds the note (a secret the cut split is
   * hidden there, where the secrets are known).
   */
  | { t: "log"; level: LogLevel; text: string; cutFrom?: number }
  /** Lines dropped over the job's log limit so far (a running total, sent at most once a second). */
  | ({ t: "logDropped" } & LogDropped)
  /** The script's top level finished, threw or called Exit: the worker closes itself next. */
  | {
    t: "end";
    code: number;
    error?: string;
    /** The source did not compile: `error` is V8's message alone, the runner locates it. */
    syntaxError?: boolean;
    /** The run has unwound and the Worker can take another run (false after `Exit()`). */
    reusable?: boolean;
    /** The Worker's marks, when `WorkerInit.timings` asked for them. */
    timings?: Mark[];
  }
  /** The answer to `WorkerWarm`; nothing to act on. */
  | { t: "warm" };

/**
 * Runner → a new Worker, once, as it starts: a message like a run's `init` (a shared buffer in
 * it), so that both threads' first message, whose handling V8 has yet to compile (2 to 3 ms
 * where later ones take 0.3 to 0.5), is handled while the Worker waits for its job instead of
 * on the job's way. The Worker answers `{ t: "warm" }`, which warms the way back.
 */
export interface WorkerWarm {
  t: "warm";
  sab: SharedArrayBuffer;
}

/** Runner → worker, once per run (a Worker may serve several runs of one script). */
export interface WorkerInit {
  t: "init";
  sab: SharedArrayBuffer;
  source: string;
  fileName: string;
  jobId: string;
  scriptName: string;
  params: Record<string, string>;
  log: LogLimits;
  /** Send the Worker's start-up marks back with `end` (`timings.ts`). */
  timings?: boolean;
}

/**
 * A host handler's reply to a call. `ok: false` becomes a thrown error in the script (a
 * programming error: wrong argument, unknown VFS name); ordinary failures are `ok: true`
 * with a result object whose own `ok` is false.
 */
export type CallReply = { ok: true; value: unknown } | { ok: false; error: string };
