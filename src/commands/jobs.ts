/**
 * `aft jobs list|show|log`: job history.
 *
 * @module
 */

import { CliError, EXIT_SERVICE, UsageError } from "../errors.ts";
import { readServiceFiles, serviceUp } from "../engine/service_file.ts";
import { expectJson, jobExitCode, type JobView, localClient } from "../client/service.ts";
import { createEngine } from "../engine/engine.ts";
import type { JobStatus } from "../store/types.ts";
import { printJson, printTable, shortTime } from "./_output.ts";

const STATUSES: JobStatus[] = ["queued", "running", "succeeded", "failed", "halted"];

/** Entry of `aft jobs`. */
export default async function jobs(
  action: string,
  args: string[],
  opts: Record<string, unknown>,
): Promise<number> {
  if (opts.status !== undefined && !STATUSES.includes(opts.status as JobStatus)) {
    throw new UsageError(`--status takes one of ${STATUSES.join(", ")}`);
  }
  const limit = Number(opts.limit ?? 50);
  if (!Number.isInteger(limit) || limit < 1) {
    throw new UsageError("--limit takes a positive whole number");
  }
  const engine = await createEngine({ dataDir: opts.data as string | undefined });
  try {
    switch (action) {
      case "list": {
        const all = await engine.store.jobs.list({
          status: opts.status as JobStatus | undefined,
          script: opts.script as string | undefined,
          limit,
        });
        if (opts.json) printJson(all);
        else {
          printTable(
            ["id", "script", "status", "exit", "trigger", "created", "finished"],
            all.map((
              j,
            ) => [
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
        const job = await engine.store.jobs.get(args[0] ?? "");
        if (!job) throw new CliError(`No job with ID "${args[0]}"`);
        if (opts.json) printJson(job);
        else {printTable(
            ["field", "value"],
            Object.entries(job).map(([k, v]) => [k, typeof v === "string" ? v : JSON.stringify(v)]),
          );}
        return 0;
      }
      case "halt": {
        const id = args[0] ?? "";
        const job = await engine.store.jobs.get(id);
        if (!job) throw new CliError(`No job with ID "${id}"`);
        if (["succeeded", "failed", "halted"].includes(job.status)) {
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
        const id = args[0] ?? "";
        if (!(await engine.store.jobs.get(id))) throw new CliError(`No job with ID "${id}"`);
        if (opts.follow) {
          // Lines are read from the store as they are written (by this machine's service or
          // any process sharing the database), until the job ends.
          let after = 0;
          for (;;) {
            const job = await engine.store.jobs.get(id);
            for (const l of await engine.store.jobs.logs(id, after)) {
              if (opts.json) console.log(JSON.stringify(l));
              else console.log(`${l.ts} ${l.level.toUpperCase().padEnd(5)} ${l.text}`);
              after = l.seq;
            }
            if (!job || ["succeeded", "failed", "halted"].includes(job.status)) {
              for (const l of await engine.store.jobs.logs(id, after)) {
                if (opts.json) console.log(JSON.stringify(l));
                else console.log(`${l.ts} ${l.level.toUpperCase().padEnd(5)} ${l.text}`);
              }
              return job ? jobExitCode(job) : 1;
            }
            await new Promise((r) => setTimeout(r, 250));
          }
        }
        const lines = await engine.store.jobs.logs(id);
        if (opts.json) printJson(lines);
        else {for (const l of lines) {
            console.log(`${l.ts} ${l.level.toUpperCase().padEnd(5)} ${l.text}`);
          }}
        return 0;
      }
    }
    throw new UsageError(`Unknown action "${action}"`);
  } finally {
    await engine.close();
  }
}
