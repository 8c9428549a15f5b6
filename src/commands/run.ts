/**
 * `aft run -f FILE [-p JSON]`: runs a script file to completion in this process, printing its
 * log; exit code 0 on success, 1 on failure. Refused (exit 4) while `allowCliRun` is off.
 * Ctrl-C or SIGTERM sends the halt signal (a second Ctrl-C stops at once).
 *
 * @module
 */

import { basename, resolve } from "../path.ts";
import { UsageError } from "../errors.ts";
import type { Engine, JobProgress, JobView, LogLine } from "../engine/mod.ts";
import { ParamsError, parseParams } from "../engine/params.ts";
import { resolveDataDir } from "../engine/data_dir.ts";
import { readServiceFiles, serviceUp } from "../engine/service_file.ts";
import { checkScriptSize } from "../engine/script_files.ts";
import { ProgressLine } from "./_progress.ts";
import { formatLine, jobEndLine } from "../client/log_line.ts";
import type { GlobalOptions } from "./_output.ts";
import { mark } from "../timings.ts";

/** Options of `aft run`. */
export interface RunOptions extends GlobalOptions {
  /** `-f FILE`. */
  file: string;
  /** `-p JSON`. */
  params?: string;
  /** `--no-progress` sets it false. */
  progress?: boolean;
}

/** Signals that halt the job: Ctrl-C, and SIGTERM (as from a scheduler stopping its task). */
const HALT_SIGNALS: Deno.Signal[] = Deno.build.os === "windows"
  ? ["SIGINT", "SIGBREAK"]
  : ["SIGINT", "SIGTERM"];

/**
 * Listens for halt signals while `fn` runs: the first calls `onHalt`; a second Ctrl-C (not
 * the same keypress forwarded twice) calls `onStop`.
 */
async function withHaltSignals<T>(
  handlers: { onHalt(signal: Deno.Signal): void; onStop(): void },
  fn: () => Promise<T>,
): Promise<T> {
  let interrupts = 0;
  let firstAt = 0;
  const listeners = HALT_SIGNALS.map((sig) => {
    const listener = () => {
      // A wrapper such as `deno task` forwards the terminal's signal to its child, which also
      // gets it from the terminal: a second one this soon is the same keypress.
      if (interrupts === 1 && Date.now() - firstAt < 500) return;
      if (++interrupts === 1) {
        firstAt = Date.now();
        handlers.onHalt(sig);
      } else if (sig !== "SIGTERM") handlers.onStop();
    };
    Deno.addSignalListener(sig, listener);
    return [sig, listener] as const;
  });
  try {
    return await fn();
  } finally {
    for (const [sig, l] of listeners) Deno.removeSignalListener(sig, l);
  }
}

/**
 * Hands the job to the service running on this data directory, over the local channel, and
 * streams its log back. Undefined when no service runs here (the caller then runs the job).
 */
async function delegate(
  dataDir: string,
  filePath: string,
  params: Record<string, string>,
): Promise<number | undefined> {
  const svc = await readServiceFiles(dataDir);
  mark("service.json checked");
  if (!svc?.token || !(await serviceUp(svc.info))) return undefined;
  // Loaded only now: `aft run` without a service does not load the client.
  const { expectJson, followJob, localClient, printLine } = await import("../client/service.ts");
  const client = localClient(svc.info, svc.token, svc.caPem);
  mark("client loaded");
  try {
    await client.request("GET", "/v1/health");
  } catch {
    return undefined; // a stale service.json: the service is gone
  }
  mark("service answered");
  const job = expectJson<JobView>(
    await client.request("POST", "/v1/local/run", { filePath, params }),
    "The service refused the job",
  );
  mark("job queued on the service");
  console.error(`aft: running as job ${job.id} on the service (pid ${svc.info.pid})`);
  return await withHaltSignals({
    onHalt: (sig) => {
      console.error(
        `aft: halting the script${
          sig === "SIGTERM" ? "" : " (press Ctrl-C again to stop waiting)"
        }`,
      );
      client.request("POST", `/v1/adm/jobs/${job.id}/halt`).catch(() => {});
    },
    onStop: () => {
      console.error("aft: stopped waiting; the job may still be running on the service");
      Deno.exit(130);
    },
  }, async () => {
    const end = await followJob(client, job.id, printLine);
    mark("job followed to its end");
    if (end.status === "succeeded" || (end.status === "halted" && end.exitCode === 0)) return 0;
    console.error(jobEndLine(end.id, end.status, end.error ?? `exit code ${end.exitCode}`));
    return 1;
  });
}

/** Runs the job in this process (no service on the data directory). */
async function runHere(
  engine: Engine,
  abs: string,
  source: string,
  params: Record<string, string>,
  opts: RunOptions,
): Promise<number> {
  const job = await engine.jobs.submit({
    target: { filePath: abs },
    params,
    trigger: "cli",
    caller: { kind: "local" },
    here: true,
  });
  mark("job recorded");
  // The runner starts while the rest is set up (submit refuses first when allowCliRun is off).
  await engine.jobs.warm();
  const progress = new ProgressLine(opts.progress !== false && Deno.stderr.isTerminal());
  const print = (line: LogLine) => {
    progress.clear();
    console.log(formatLine(line));
  };
  const halt = new AbortController();
  return await withHaltSignals({
    onHalt: (sig) => {
      progress.clear();
      console.error(
        `aft: halting the script${
          sig === "SIGTERM" ? "" : " (press Ctrl-C again to stop at once)"
        }`,
      );
      halt.abort();
    },
    onStop: () => {
      console.error("aft: stopped");
      engine.jobs.abandon(job.id, "Stopped from the terminal").finally(() => Deno.exit(130));
    },
  }, async () => {
    const record = await engine.jobs.execute(job.id, {
      source: { source, fileName: basename(abs) },
      signal: halt.signal,
      onLog: print,
      onProgress: (p: JobProgress) => progress.update(p),
    });
    progress.clear();
    mark("job finished");
    if (record.status === "succeeded" || (record.status === "halted" && record.exitCode === 0)) {
      return 0;
    }
    console.error(
      jobEndLine(record.id, record.status, record.error ?? `exit code ${record.exitCode}`),
    );
    return 1;
  });
}

/** Entry of `aft run`. */
export default async function run(
  _action: string,
  _args: string[],
  opts: RunOptions,
): Promise<number> {
  const file = String(opts.file);
  let params: Record<string, string>;
  try {
    params = parseParams(opts.params, { lenient: true });
  } catch (err) {
    if (err instanceof ParamsError) throw new UsageError(`Bad --params: ${err.message}`);
    throw err;
  }
  let source: string;
  try {
    // Synchronous: a stat and a read of a script (16 MiB at most) cost less than a call
    // through Deno's thread pool, which waits for a pool thread while the script's Worker
    // starts on the other core.
    const st = Deno.statSync(file);
    // A FIFO or a device (-f /dev/zero) would block, or never end, in the read.
    if (!st.isFile && !st.isDirectory) throw new Error("not a regular file");
    checkScriptSize(st.size);
    source = Deno.readTextFileSync(file);
  } catch (err) {
    const why = err instanceof Deno.errors.NotFound ? "no such file" : (err as Error).message;
    throw new UsageError(`Cannot read script file "${file}": ${why}`);
  }
  mark("script file read");

  // A service on this data directory takes the job (its rules: allowCliRun, the file), asked
  // before the engine is loaded, which a job handed on does not need (about 25 ms).
  const abs = resolve(file);
  const delegated = await delegate(resolveDataDir(opts.data), abs, params);
  if (delegated !== undefined) return delegated;

  // Straight to the engine's module, not through engine/mod.ts, whose re-exports would load
  // modules `aft run` does not use (backups, password rules, cron words).
  const { createEngine } = await import("../engine/engine.ts");
  mark("engine modules loaded");
  const engine = await createEngine({ dataDir: opts.data });
  try {
    return await runHere(engine, abs, source, params, opts);
  } finally {
    await engine.close();
  }
}
