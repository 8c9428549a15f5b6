/**
 * The script Workers of a runner: a spare one started ahead for a script's first run, and the
 * Workers kept after a run for later runs of the same script.
 *
 * Security: a Worker is only ever reused for the same script, that is the same name, the same
 * file name (a script file run by path is a script of its own, apart from the stored script
 * of that name) and the same source, compared whole. Runs of one script share an author, so
 * reuse cannot carry one author's data to another; each run still gets a fresh V8 context (see
 * `worker/script_realm.ts`), so the globals of one run are not there in the next. Different
 * scripts never share a Worker. A Worker is discarded (terminated), not kept, after a run that
 * was halted or timed out, failed with an error, ended with a non-zero code or by `Exit()`,
 * after {@linkcode MAX_RUNS} runs, and after {@linkcode IDLE_MS} without a run; at most
 * {@linkcode MAX_IDLE} Workers wait at a time (the oldest goes first). The memory limit ends
 * the whole runner process, and its Workers with it.
 *
 * @module
 */

import type { JobSpec, WorkerWarm } from "../protocol/messages.ts";
import { mark } from "../../timings.ts";

/** Runs a Worker serves at most. */
export const MAX_RUNS = 200;
/** How long a kept Worker waits for a run before it is discarded, in ms. */
export const IDLE_MS = 15_000;
/** Workers kept waiting at most. */
export const MAX_IDLE = 4;

const WORKER_URL = new URL("../worker/worker.ts", import.meta.url);

/** A Worker and what it has served. */
export interface ScriptWorker {
  worker: Worker;
  /** The script it serves; undefined for a fresh Worker. */
  key?: string;
  /** Runs it has served. */
  runs: number;
  /** The shared buffer of its runs (see `script_host.ts`); undefined for a fresh Worker. */
  sab?: SharedArrayBuffer;
}

interface Idle extends ScriptWorker {
  key: string;
  since: number;
}

let spare: Worker | undefined;
const idle: Idle[] = [];
let sweeper: ReturnType<typeof setInterval> | undefined;

function newWorker(): Worker {
  const worker = new Worker(WORKER_URL, {
    type: "module",
    name: "aft-script",
    deno: { permissions: "none" },
  });
  // Creating it holds this thread until the Worker's runtime exists; its modules load after.
  mark("Worker created", "runner");
  const warm: WorkerWarm = { t: "warm", sab: new SharedArrayBuffer(8) };
  worker.postMessage(warm);
  return worker;
}

/**
 * Which script a job runs, for reuse: its name, file name and whole source (compared as they
 * are: stricter than a hash of the code, and no hashing on a job's way).
 */
export function scriptKey(job: JobSpec): string {
  return `${job.scriptName.length}:${job.scriptName}\0${job.fileName.length}:${job.fileName}\0${job.source}`;
}

/**
 * Starts a Worker now, with its modules loaded, for the next first run of a script to take:
 * a job then does not wait for a Worker to start. The spare is fresh (no script has run in it).
 */
export function prewarmWorker(): void {
  spare ??= newWorker();
}

/** A Worker for a run of the script `key` (undefined: no reuse): a kept one, else a fresh one. */
export function takeWorker(key: string | undefined): ScriptWorker {
  if (key !== undefined) {
    for (let i = idle.length - 1; i >= 0; i--) {
      const w = idle[i]!;
      if (w.key !== key) continue;
      idle.splice(i, 1);
      w.worker.onerror = null;
      mark("Worker reused", "runner");
      return { worker: w.worker, key, runs: w.runs, sab: w.sab };
    }
  }
  const worker = spare ?? newWorker();
  spare = undefined;
  return { worker, key, runs: 0 };
}

/** Keeps `w` after a clean run of its script, for the next one; or terminates it. */
export function keepWorker(w: ScriptWorker): void {
  if (w.key === undefined || w.runs >= MAX_RUNS) return w.worker.terminate();
  const kept: Idle = {
    worker: w.worker,
    key: w.key,
    runs: w.runs,
    sab: w.sab,
    since: performance.now(),
  };
  w.worker.onmessage = null;
  w.worker.onmessageerror = null;
  // An error while it waits (a promise its last run left behind): it is not kept.
  w.worker.onerror = (e: ErrorEvent) => {
    e.preventDefault();
    drop(kept);
  };
  idle.push(kept);
  while (idle.length > MAX_IDLE) drop(idle[0]!);
  sweeper ??= setInterval(sweep, Math.min(IDLE_MS, 5000));
  // A runner with nothing else to do still exits (aft run, tests).
  Deno.unrefTimer(sweeper);
}

function drop(w: Idle): void {
  const i = idle.indexOf(w);
  if (i >= 0) idle.splice(i, 1);
  w.worker.terminate();
  if (idle.length === 0 && sweeper !== undefined) {
    clearInterval(sweeper);
    sweeper = undefined;
  }
}

function sweep(): void {
  const now = performance.now();
  for (const w of [...idle]) if (now - w.since >= IDLE_MS) drop(w);
}

/** The Workers kept for reuse now, as the number of runs each has served (tests). */
export function idleWorkers(): number[] {
  return idle.map((w) => w.runs);
}

/** Stops the spare Worker and every kept one (a process that runs no further job). */
export function dropWorkers(): void {
  spare?.terminate();
  spare = undefined;
  for (const w of [...idle]) drop(w);
}
