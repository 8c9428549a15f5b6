/**
 * `aft jobs list|show|log|halt`: job history.
 *
 * @module
 */

import { CliError, EXIT_SERVICE, UsageError } from "../errors.ts";
import {
  createEngine,
  FINISHED,
  JOB_STATUSES,
  type LogLine,
  readServiceFiles,
  serviceUp,
} from "../engine/mod.ts";
import {
  expectJson,
  formatLine,
  jobExitCode,
  type JobView,
  localClient,
} from "../client/service.ts";
import { type GlobalOptions, printJson, printTable, shortTime } from "./_output.ts";

/** Options of `aft jobs`. */
export interface JobsOptions extends GlobalOptions {
  /** `list --status S`. */
  status?: string;
  /** `list --script NAME`. */
  script?: string;
  /** `list --limit N` (text, as typed). */
  limit?: string;
  /** `log --follow`. */
  follow?: boolean;
  json?: boolean;
}

function printLog(l: LogLine, json: boolean | undefined): void {
  console.log(json ? JSON.stringify(l) : formatLine(l));
}

/** Entry of `aft jobs`. */
export default async function jobs(
  action: string,
  args: string[],
  opts: JobsOptions,
): Promise<number> {
  if (opts.status !== undefined && !JOB_STATUSES.includes(opts.status as JobView["status"])) {
    throw new UsageError(`--status takes one of ${JOB_STATUSES.join(", ")}`);
  }
  const limit = Number(opts.limit ?? 50);
  if (!Number.isInteger(limit) || limit < 1) {
    throw new UsageError("--limit takes a positive whole number");
  }
  const engine = await createEngine({ dataDir: opts.data });
  try {
    const id = args[0] ?? "";
    switch (action) {
      case "list": {
        const { jobs: all } = await engine.jobs.list({
          status: opts.status,
          script: opts.script,
          limit: Math.min(limit, 1000),
        });
        if (opts.json) printJson(all);
        else {
          printTable(
            ["id", "script", "status", "exit", "trigger", "created", "finished"],
            all.map((j) => [
              j.id,
              j.scriptName,
              j.status,
              j.exitCode === null ? "-" : String(j.exitCode),
              j.trigger,
              shortTime(j.createdAt),
              shortTime(j.finishedAt),
            ]),
            "(no jobs)",
          );
        }
        return 0;
      }
      case "show": {
        const job = await engine.jobs.get(id);
        if (opts.json) printJson(job);
        else {
          printTable(
            ["field", "value"],
            Object.entries(job).map(([k, v]) => [k, typeof v === "string" ? v : JSON.stringify(v)]),
          );
        }
        return 0;
      }
      case "halt": {
        const job = await engine.jobs.get(id);
        if (FINISHED.includes(job.status)) {
          throw new CliError(`Job ${id} has already finished (${job.status})`);
        }
        const svc = await readServiceFiles(engine.dataDir);
        if (!svc?.token || !(await serviceUp(svc.info))) {
          throw new CliError(
            "No service runs on this data directory to halt the job",
            EXIT_SERVICE,
          );
        }
        const client = localClient(svc.info, svc.token, svc.caPem);
        const now = expectJson<JobView>(
          await client.request("POST", `/v1/adm/jobs/${encodeURIComponent(id)}/halt`),
          `Cannot halt job ${id}`,
        );
        console.error(`halt signal sent to job ${id} (now ${now.status})`);
        return 0;
      }
      case "log": {
        if (opts.follow) {
          // Lines are read from the store as they are written (by this machine's service or
          // any process sharing the database), until the job ends.
          for await (const e of engine.jobs.follow(id, { pollMs: 250 })) {
            if (e.type === "line") printLog(e.line, opts.json);
            else if (e.job.status === "running") {
              // Its process is gone (see engine.jobs.follow): nothing more will come.
              console.error(`aft: ${e.job.error}`);
              return 3;
            } else return jobExitCode(e.job);
          }
          return 1;
        }
        const { lines } = await engine.jobs.log(id);
        if (opts.json) printJson(lines);
        else for (const l of lines) printLog(l, false);
        return 0;
      }
    }
    throw new UsageError(`Unknown action "${action}"`);
  } finally {
    await engine.close();
  }
}
