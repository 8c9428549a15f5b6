/**
 * `aft run -f FILE [-p JSON]`: runs a script file to completion in this process, printing its
 * log; exit code 0 on success, 1 on failure. Refused (exit 4) while `allowCliRun` is off.
 *
 * @module
 */

import { basename, resolve } from "node:path";
import { RefusedError, UsageError } from "../errors.ts";
import { createEngine } from "../engine/engine.ts";
import { executeJob, type JobProgress } from "../engine/execute.ts";
import { ParamsError, parseParams } from "../engine/params.ts";
import { RunnerPool } from "../runtime/service/runner_pool.ts";
import type { LogLine } from "../store/types.ts";
import { ProgressLine } from "./_progress.ts";
import { readServiceFiles, serviceUp } from "../engine/service_file.ts";
import { expectJson, followJob, type JobView, localClient, printLine } from "../client/service.ts";

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
  if (!svc?.token || !(await serviceUp(svc.info))) return undefined;
  const client = localClient(svc.info, svc.token, svc.caPem);
  try {
    await client.request("GET", "/v1/health");
  } catch {
    return undefined; // a stale service.json: the service is gone
  }
  const job = expectJson<JobView>(
    await client.request("POST", "/v1/local/run", { filePath, params }),
    "The service refused the job",
  );
  console.error(`aft: running as job ${job.id} on the service (pid ${svc.info.pid})`);
  let interrupts = 0;
  let firstAt = 0;
  const onSigint = () => {
    if (sameKeypress(interrupts, firstAt)) return;
    if (++interrupts === 1) {
      firstAt = Date.now();
      console.error("aft: halting the script (press Ctrl-C again to stop waiting)");
      client.request("POST", `/v1/adm/jobs/${job.id}/halt`).catch(() => {});
    } else {
      console.error("aft: stopped waiting; the job may still be running on the service");
      Deno.exit(130);
    }
  };
  Deno.addSignalListener("SIGINT", onSigint);
  try {
    const end = await followJob(client, job.id, printLine);
    if (end.status === "succeeded" || (end.status === "halted" && end.exitCode === 0)) return 0;
    console.error(`aft: job ${end.id} ${end.status}: ${end.error ?? `exit code ${end.exitCode}`}`);
    return 1;
  } finally {
    Deno.removeSignalListener("SIGINT", onSigint);
  }
}

/** Entry of `aft run`. */
export default async function run(
  _action: string,
  _args: string[],
  opts: Record<string, unknown>,
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
    source = await Deno.readTextFile(file);
  } catch (err) {
    const why = err instanceof Deno.errors.NotFound ? "no such file" : (err as Error).message;
    throw new UsageError(`Cannot read script file "${file}": ${why}`);
  }

  const engine = await createEngine({ dataDir: opts.data as string | undefined });
  const pool = new RunnerPool();
  try {
    const settings = await engine.settings();
    if (!settings.allowCliRun) {
      throw new RefusedError(
        "Running scripts from the command line is off: an administrator can allow it with `aft settings set allowCliRun true`",
      );
    }
    const abs = resolve(file);
    const delegated = await delegate(engine.dataDir, abs, params);
    if (delegated !== undefined) return delegated;
    // The runner starts while the job is recorded (an empty job: 0.173 s without, 0.168 s with;
    // before the delegation check it saved 5 ms more but started a runner for nothing whenever a
    // service took the job).
    pool.warm(settings.jobMemoryMiB);
    const job = await engine.store.jobs.create({
      scriptId: null,
      scriptName: basename(abs),
      filePath: abs,
      params,
      trigger: "cli",
    });

    const progress = new ProgressLine(opts.progress !== false && Deno.stderr.isTerminal());
    const print = (line: LogLine) => {
      progress.clear();
      console.log(`${line.ts} ${line.level.toUpperCase().padEnd(5)} ${line.text}`);
    };
    const halt = new AbortController();
    let interrupts = 0;
    let firstAt = 0;
    const onSigint = () => {
      if (sameKeypress(interrupts, firstAt)) return;
      interrupts++;
      if (interrupts === 1) {
        firstAt = Date.now();
        progress.clear();
        console.error("aft: halting the script (press Ctrl-C again to stop at once)");
        halt.abort();
      } else {
        console.error("aft: stopped");
        engine.store.jobs.update(job.id, {
          status: "halted",
          exitCode: 1,
          error: "Stopped from the terminal",
          finishedAt: new Date().toISOString(),
        }).finally(() => Deno.exit(130));
      }
    };
    Deno.addSignalListener("SIGINT", onSigint);
    try {
      const record = await executeJob(engine, job, { source, fileName: basename(abs) }, {
        pool,
        signal: halt.signal,
        onLog: print,
        onProgress: (p: JobProgress) => progress.update(p),
      });
      progress.clear();
      if (record.status === "succeeded" || (record.status === "halted" && record.exitCode === 0)) {
        return 0;
      }
      console.error(
        `aft: job ${record.id} ${record.status}: ${record.error ?? `exit code ${record.exitCode}`}`,
      );
      return 1;
    } finally {
      Deno.removeSignalListener("SIGINT", onSigint);
    }
  } finally {
    await pool.close();
    await engine.close();
  }
}

/**
 * A second SIGINT this soon after the first is the same Ctrl-C: a wrapper such as `deno task`
 * forwards the terminal's signal to its child, which also gets it from the terminal.
 */
function sameKeypress(interrupts: number, firstAt: number): boolean {
  return interrupts === 1 && Date.now() - firstAt < 500;
}
