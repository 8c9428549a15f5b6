/**
 * Runs one job's script in a Worker with no permissions, serving its calls with the host
 * handlers. Lives in the runner process. The Worker is a kept one that served earlier runs of
 * the same script when the job allows it (setting scriptWorkerReuse), else a fresh one; each
 * run has a fresh context in it either way (see `worker_pool.ts` for when a Worker is kept).
 *
 * @module
 */

import {
  createSharedBuffer,
  encodeValue,
  EVENTS,
  HALT,
  LOG_ACKED,
  SIGNAL,
  views,
  writeReply,
} from "../protocol/bridge.ts";
import type { CallName } from "../protocol/calls.ts";
import type {
  CallReply,
  JobSpec,
  RunnerRequest,
  WorkerInit,
  WorkerMessage,
} from "../protocol/messages.ts";
import type { LogLevel } from "../../store/types.ts";
import { createHandlers, type HostContext, ScriptCallError } from "./host/mod.ts";
import { describeSyntaxError } from "./syntax_error.ts";
import {
  DEFAULT_LOG_MAX_BYTES_PER_JOB,
  DEFAULT_LOG_MAX_LINE_BYTES,
  type LogDropped,
} from "../protocol/log_limits.ts";
import type { TransferProgress } from "../../vfs/progress.ts";
import { addMarks, cleanMarks, timingsOn } from "../../timings.ts";
import { keepWorker, scriptKey, takeWorker } from "./worker_pool.ts";

export { dropWorkers, prewarmWorker } from "./worker_pool.ts";

/** How the script host reaches its parent. */
export interface ScriptLink {
  request(req: RunnerRequest): Promise<unknown>;
  /**
   * Passes a log line on; settles once it is on its way (the script's lines wait for it).
   * `cutFrom`: the script's line was cut and `text` is its start (see `WorkerMessage`).
   */
  log(level: LogLevel, text: string, cutFrom?: number): Promise<void> | void;
  /** What the script dropped over the job's log limit so far. */
  logDropped?(dropped: LogDropped): void;
  progress(p: TransferProgress): void;
}

/** How a script ended. */
export interface ScriptEnd {
  code: number;
  error?: string;
  bytesTransferred: number;
}

/**
 * A running script; `halt()` raises the halt signal, `done` settles when the script ends;
 * `terminate()` stops its Worker without waiting (see `RunnerCore.stop`).
 */
export interface RunningScript {
  halt(): void;
  terminate(): void;
  done: Promise<ScriptEnd>;
}

/** Starts `job` in a Worker: one kept for its script, or a fresh one. */
export function startScript(job: JobSpec, link: ScriptLink): RunningScript {
  const sw = takeWorker(job.limits.workerReuse === true ? scriptKey(job) : undefined);
  const worker = sw.worker;
  // A kept Worker keeps its shared buffer (a new 1 MiB one per run cost more than the run's
  // script): its slots start from zero for each run; what the last run left in the data area
  // is never read, as a reply is read only up to the length written for it.
  const sab = sw.sab ?? createSharedBuffer();
  const { ctrl } = views(sab);
  ctrl.fill(0);
  let ended = false;
  const abort = new AbortController();
  const cleanups: (() => Promise<void>)[] = [];
  let bytes = 0;

  const ctx: HostContext = {
    job,
    signal: abort.signal,
    request: link.request,
    log: link.log,
    progress: link.progress,
    addBytes: (n) => void (bytes += n),
    wake() {
      // A late wake of an ended run must not reach the next run on this buffer.
      if (ended) return;
      Atomics.store(ctrl, EVENTS, 1);
      Atomics.add(ctrl, SIGNAL, 1);
      Atomics.notify(ctrl, SIGNAL);
    },
    onEnd: (fn) => void cleanups.push(fn),
  };
  const handlers = createHandlers(ctx);

  /** Whether the run was halted or its Worker terminated: its Worker is not kept then. */
  let disturbed = false;

  let settle!: (end: ScriptEnd) => void;
  const done = new Promise<ScriptEnd>((resolve) => settle = resolve);
  // Calls arrive one at a time (the worker blocks on each), but chain them to be safe.
  let queue = Promise.resolve();

  async function finish(code: number, error?: string, reusable = false) {
    if (ended) return;
    ended = true;
    if (reusable && !disturbed && code === 0 && error === undefined) {
      keepWorker({ ...sw, sab, runs: sw.runs + 1 });
    } else {
      worker.terminate();
    }
    for (const fn of cleanups) await fn().catch(() => {});
    settle({ code, error, bytesTransferred: bytes });
  }

  // Arguments arrive as the script gave them: each handler checks its own at run time.
  const table = handlers as unknown as Record<string, (args: unknown[]) => Promise<unknown>>;

  async function serve(method: CallName, args: unknown[]) {
    let reply: CallReply;
    const handler = Object.hasOwn(table, method) ? table[method] : undefined;
    try {
      if (!handler) throw new ScriptCallError(`Unknown host call "${method}"`);
      reply = { ok: true, value: await handler(args) };
    } catch (err: unknown) {
      if (!(err instanceof ScriptCallError)) {
        link.log("debug", `host error in ${method}: ${String(err)}`);
      }
      reply = { ok: false, error: err instanceof Error ? err.message : String(err) };
    }
    if (!ended) await writeReply(sab, encodeValue(reply));
  }

  worker.onmessage = (e: MessageEvent<WorkerMessage>) => {
    const m = e.data;
    switch (m.t) {
      case "call":
        queue = queue.then(() => serve(m.method, m.args));
        break;
      case "log": {
        // Acknowledged once passed on, in order: the worker waits when too many are pending.
        const ack = () => {
          Atomics.add(ctrl, LOG_ACKED, 1);
          Atomics.notify(ctrl, LOG_ACKED);
        };
        const sent = link.log(m.level, m.text, m.cutFrom);
        if (sent) sent.then(ack, ack);
        else ack();
        break;
      }
      case "logDropped":
        link.logDropped?.({ lines: m.lines, bytes: m.bytes });
        break;
      case "end":
        addMarks(cleanMarks(m.timings), "worker");
        queue.then(async () =>
          finish(
            m.code,
            m.syntaxError
              ? await describeSyntaxError(job.source, job.fileName, m.error ?? "", job.quoteSource)
              : m.error,
            m.reusable === true,
          )
        );
        break;
    }
  };
  worker.onerror = (e: ErrorEvent) => {
    e.preventDefault();
    finish(1, e.message.startsWith("Uncaught") ? e.message : `Uncaught ${e.message}`);
  };
  worker.onmessageerror = () => finish(1, "The script sent a message the host could not read");

  const init: WorkerInit = {
    t: "init",
    sab,
    source: job.source,
    fileName: job.fileName,
    jobId: job.jobId,
    scriptName: job.scriptName,
    params: job.params,
    log: job.limits.log ?? {
      maxLineBytes: DEFAULT_LOG_MAX_LINE_BYTES,
      maxBytes: DEFAULT_LOG_MAX_BYTES_PER_JOB,
    },
    timings: timingsOn(),
  };
  worker.postMessage(init);

  return {
    halt() {
      // Once ended, the Worker and its buffer may be kept for the next run: not halted.
      if (ended || Atomics.load(ctrl, HALT) === 1) return;
      disturbed = true;
      Atomics.store(ctrl, HALT, 1);
      Atomics.add(ctrl, SIGNAL, 1);
      Atomics.notify(ctrl, HALT);
      Atomics.notify(ctrl, SIGNAL);
      abort.abort(new Error("The job was halted"));
    },
    terminate() {
      disturbed = true;
      worker.terminate();
    },
    done,
  };
}
