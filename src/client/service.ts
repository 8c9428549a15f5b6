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
 * Prints a job's log as it grows until the job ends; returns the final job. The log comes as
 * a live event stream (`Accept: text/event-stream`: one connection, each line as it is
 * written), taken up again from the last line when it is cut (a proxy's idle timeout, the
 * network). Where no stream comes, or it is cut three times in a row without bringing a line,
 * the JSON log route is polled from the last line seen, which works through any proxy. Each
 * line is printed once either way.
 */
export async function followJob(
  client: ApiClient,
  id: string,
  onLine: (l: LogLineView) => void,
  opts: { intervalMs?: number; signal?: AbortSignal } = {},
): Promise<JobView> {
  const route = `/v1/adm/jobs/${encodeURIComponent(id)}`;
  const lost = (err: ServiceError) =>
    // The service went away (stopped, restarted, the network): the job did not end for that.
    new ServiceError(
      `Lost the service while following job ${id}: ${err.message}. The job may still be running there, or have ended: see aft jobs show ${id}`,
      { cause: err },
    );
  const get = (path: string) =>
    client.request("GET", path).catch((err) => {
      throw err instanceof ServiceError ? lost(err) : err;
    });
  let after = 0;
  const take = (l: LogLineView) => {
    if (l.seq <= after) return;
    after = l.seq;
    onLine(l);
  };
  const final = async () => expectJson<JobView>(await get(route), `Cannot read job ${id}`);

  // Cuts in a row that brought no line: three, and the stream is given up for polling.
  for (let cuts = 0; cuts < 3 && !opts.signal?.aborted; cuts++) {
    const from = after;
    let ended = false;
    let closed: string | undefined;
    const res = await client.stream(`${route}/log?after=${after}`, (e) => {
      if (e.event === "log") take(JSON.parse(e.data) as LogLineView);
      else if (e.event === "end") ended = true;
      else if (e.event === "closed") closed = (JSON.parse(e.data) as { message?: string }).message;
    }, opts.signal).catch((err) => {
      throw err instanceof ServiceError ? lost(err) : err;
    });
    if (ended) return await final();
    if (closed !== undefined) {
      throw EngineError.remote(
        "ACCESS_ENDED",
        `Stopped following job ${id}: ${closed || "access ended"}`,
        "unauthorized",
      );
    }
    if (!res.streamed) {
      // An error (no such job, a key without jobs:read) is the service's to tell.
      if (res.status < 200 || res.status >= 300) {
        expectJson(res, `Cannot read the log of job ${id}`);
      }
      break; // an answer, but not a stream: poll
    }
    if (after > from) cuts = -1;
  }

  let interval = opts.intervalMs ?? 100;
  while (!opts.signal?.aborted) {
    const page = expectJson<{ status: JobStatus; lines: LogLineView[]; next: number }>(
      await get(`${route}/log?after=${after}`),
      `Cannot read the log of job ${id}`,
    );
    for (const l of page.lines) take(l);
    if (FINISHED.includes(page.status)) {
      // The status changed after the lines were read: read once more for the last lines.
      const rest = expectJson<{ lines: LogLineView[] }>(
        await get(`${route}/log?after=${after}`),
        `Cannot read the log of job ${id}`,
      );
      for (const l of rest.lines) take(l);
      return await final();
    }
    if (page.lines.length === 0) interval = Math.min(interval * 1.5, 1000);
    else interval = opts.intervalMs ?? 100;
    await new Promise((r) => setTimeout(r, interval));
  }
  return await final();
}

/** A client for the service recorded in a data directory, over the local channel. */
export function localClient(info: ServiceInfo, token: string, caPem?: string): ApiClient {
  return new ApiClient(info.connect, { "X-Aft-Local-Token": token }, {
    caPems: caPem ? [caPem] : [],
    fingerprint: info.fingerprint,
    systemRoots: false,
  });
}
