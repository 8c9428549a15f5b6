/**
 * Client-side helpers over the REST API shared by `aft start`, `aft run` delegation and
 * `aft jobs log --follow`: error mapping to exit codes, and following a job's log.
 *
 * @module
 */

import { ServiceError } from "../errors.ts";
import { EngineError, type ErrorKind } from "../engine/errors.ts";
import type { LogLineView } from "./log_line.ts";
import type { ServiceInfo } from "../engine/service_file.ts";
import { FINISHED, type JobStatus, type JobView } from "../store/types.ts";
import { ApiClient, type HttpResponse } from "./http.ts";

export type { JobView };

export { formatLine, type LogLineView, printLine } from "./log_line.ts";

/** The kind of error an HTTP status stands for, for codes this client does not know. */
function kindOfStatus(status: number): ErrorKind {
  if (status === 400 || status === 413) return "invalid";
  if (status === 401) return "unauthorized";
  if (status === 403) return "forbidden";
  if (status === 404) return "not_found";
  if (status === 409) return "conflict";
  if (status === 429) return "throttled";
  if (status === 503) return "unavailable";
  if (status === 507) return "storage_full";
  return "failed";
}

/**
 * Parses a JSON answer; a non-2xx one becomes the EngineError the service answered with (its
 * code and kind), whose kind the CLI turns into an exit code.
 */
export function expectJson<T>(res: HttpResponse, what: string): T {
  let body: unknown;
  try {
    body = res.body ? JSON.parse(res.body) : undefined;
  } catch {
    throw new ServiceError(
      `${what}: the service answered ${res.status} with a body that is not JSON`,
    );
  }
  if (res.status >= 200 && res.status < 300) return body as T;
  const err = (body as { error?: { code?: string; message?: string } } | undefined)?.error;
  const msg = `${what}: ${err?.message ?? `HTTP ${res.status}`}`;
  throw EngineError.remote(err?.code ?? `HTTP_${res.status}`, msg, kindOfStatus(res.status));
}

/** Exit code for a finished job: 0 when it succeeded, its own code when it failed, else 1. */
export function jobExitCode(job: { status: JobStatus; exitCode: number | null }): number {
  if (job.status === "succeeded") return 0;
  if (job.exitCode !== null && job.exitCode !== 0 && job.exitCode < 256) return job.exitCode;
  return 1;
}

/**
 * Prints a job's log as it grows until the job ends; returns the final job. Polls the JSON log
 * route (lines after the last seen), which works through any proxy and over this client.
 */
export async function followJob(
  client: ApiClient,
  id: string,
  onLine: (l: LogLineView) => void,
  opts: { intervalMs?: number; signal?: AbortSignal } = {},
): Promise<JobView> {
  let after = 0;
  let interval = opts.intervalMs ?? 100;
  const get = (path: string) =>
    client.request("GET", path).catch((err) => {
      if (!(err instanceof ServiceError)) throw err;
      // The service went away (stopped, restarted, the network): the job did not end for that.
      throw new ServiceError(
        `Lost the service while following job ${id}: ${err.message}. The job may still be running there, or have ended: see aft jobs show ${id}`,
        { cause: err },
      );
    });
  for (;;) {
    const res = await get(`/v1/adm/jobs/${encodeURIComponent(id)}/log?after=${after}`);
    const page = expectJson<{ status: JobStatus; lines: LogLineView[]; next: number }>(
      res,
      `Cannot read the log of job ${id}`,
    );
    for (const l of page.lines) onLine(l);
    after = page.next;
    if (FINISHED.includes(page.status)) {
      // The status changed after the lines were read: read once more for the last lines.
      const rest = expectJson<{ lines: LogLineView[] }>(
        await get(`/v1/adm/jobs/${encodeURIComponent(id)}/log?after=${after}`),
        `Cannot read the log of job ${id}`,
      );
      for (const l of rest.lines) onLine(l);
      return expectJson<JobView>(
        await get(`/v1/adm/jobs/${encodeURIComponent(id)}`),
        `Cannot read job ${id}`,
      );
    }
    if (page.lines.length === 0) interval = Math.min(interval * 1.5, 1000);
    else interval = opts.intervalMs ?? 100;
    await new Promise((r) => setTimeout(r, interval));
  }
}

/** A client for the service recorded in a data directory, over the local channel. */
export function localClient(info: ServiceInfo, token: string, caPem?: string): ApiClient {
  return new ApiClient(info.connect, { "X-Aft-Local-Token": token }, {
    caPems: caPem ? [caPem] : [],
    fingerprint: info.fingerprint,
  });
}
