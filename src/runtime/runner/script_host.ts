/**
 * Runs one job's script in a Worker with no permissions, serving its calls with the host
 * handlers. Lives in the runner process.
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
import { addMarks, cleanMarks, mark, timingsOn } from "../../timings.ts";

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

const WORKER_URL = new URL("../worker/worker.ts", import.meta.url);

let spare: Worker | undefined;

function newWorker(): Worker {
  const worker = new Worker(WORKER_URL, {
    type: "module",
    name: "aft-script",
    deno: { permissions: "none" },
  });
  // Creating it holds this thread until the Worker's runtime exists; its modules load after.
  mark("Worker created", "runner");
  return worker;
}

/**
 * Starts a Worker now, with its modules loaded, for the next job to take: a job then does not
 * wait for a Worker to start. The spare is fresh (no script has run in it), so jobs stay as
 * isolated from each other as with a Worker started on demand.
 */
export function prewarmWorker(): void {
  spare ??= newWorker();
}

/** Stops the spare Worker, if one was started (a process that runs no further job). */
export function dropSpareWorker(): void {
  spare?.terminate();
  spare = undefined;
}

/** Starts `job` in a fresh Worker. */
export function startScript(job: JobSpec, link: ScriptLink): RunningScript {
  const sab = createSharedBuffer();
  const { ctrl } = views(sab);
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
      Atomics.store(ctrl, EVENTS, 1);
      Atomics.add(ctrl, SIGNAL, 1);
      Atomics.notify(ctrl, SIGNAL);
    },
    onEnd: (fn) => void cleanups.push(fn),
  };
  const handlers = createHandlers(ctx);

  const worker = spare ?? newWorker();
  spare = undefined;

  let settle!: (end: ScriptEnd) => void;
  const done = new Promise<ScriptEnd>((resolve) => settle = resolve);
  let ended = false;
  // Calls arrive one at a time (the worker blocks on each), but chain them to be safe.
  let queue = Promise.resolve();

  async function finish(code: number, error?: string) {
    if (ended) return;
    ended = true;
    worker.terminate();
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
      if (Atomics.load(ctrl, HALT) === 1) return;
      Atomics.store(ctrl, HALT, 1);
      Atomics.add(ctrl, SIGNAL, 1);
      Atomics.notify(ctrl, HALT);
      Atomics.notify(ctrl, SIGNAL);
      abort.abort(new Error("The job was halted"));
    },
    terminate() {
      worker.terminate();
    },
    done,
  };
}
