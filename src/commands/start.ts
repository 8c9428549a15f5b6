/**
 * `aft start`: queues a job on a running service through `POST /v1/jobs`, prints its ID and
 * returns; with `--wait`, follows its log and exits with the job's exit code.
 *
 * Authentication: `-a/--apikey`, else `$AFT_API_KEY`, else (for the service on this machine's
 * data directory) the local channel token, which only the data directory's owner can read.
 *
 * @module
 */

import { resolve } from "../path.ts";
import { CliError, EXIT_SERVICE, UsageError } from "../errors.ts";
import type { JobView } from "../store/types.ts";
import { ParamsError, parseParams } from "../engine/params.ts";
import { readServiceFiles, serviceUp } from "../engine/service_file.ts";
import { resolveDataDir } from "../engine/data_dir.ts";
import { ApiClient, splitHostPort, type TrustOptions } from "../client/http.ts";
import { expectJson, followJob, jobExitCode, printLine } from "../client/service.ts";
import { jobEndLine } from "../client/log_line.ts";
import { esc, type GlobalOptions } from "./_output.ts";
import { mark } from "../timings.ts";

/** Where `aft start` goes without --host (and no service recorded in the data directory). */
export const DEFAULT_HOST = "127.0.0.1:44399";

/** Options of `aft start`. */
export interface StartOptions extends GlobalOptions {
  /** `-n NAME`. */
  name?: string;
  /** `--scriptid ID`. */
  scriptid?: string;
  /** `-f FILE`. */
  file?: string;
  /** `-a KEY`. */
  apikey?: string;
  /** `-p JSON`. */
  params?: string;
  /** `--host HOST:PORT`; without it, the service recorded in the data directory, else 127.0.0.1:44399. */
  host?: string;
  wait?: boolean;
  caCert?: string;
  insecure?: boolean;
}

/** Entry of `aft start`. */
export default async function start(
  _action: string,
  _args: string[],
  opts: StartOptions,
): Promise<number> {
  const targets = [
    ["-n/--name", opts.name],
    ["--scriptid", opts.scriptid],
    ["-f/--file", opts.file],
  ].filter(([, v]) => v !== undefined);
  if (targets.length !== 1) {
    throw new UsageError(
      targets.length === 0
        ? "Say which script to start: -n NAME, --scriptid ID or -f FILE"
        : `Give only one of ${targets.map(([k]) => k).join(", ")}`,
    );
  }
  let params: Record<string, string>;
  try {
    params = parseParams(opts.params, { lenient: true });
  } catch (err) {
    if (err instanceof ParamsError) throw new UsageError(`Bad --params: ${err.message}`);
    throw err;
  }
  if (opts.host !== undefined) {
    try {
      splitHostPort(opts.host);
    } catch (err) {
      throw new UsageError((err as Error).message);
    }
  }

  const trust: TrustOptions = {
    insecure: opts.insecure === true,
    caPems: [],
    onFirstUse: (host, fp, file) =>
      console.error(
        `aft: trusting the certificate of ${host} on first use (SHA-256 ${fp}); recorded in ${file}`,
      ),
  };
  if (opts.caCert) {
    let pem: string;
    try {
      pem = await Deno.readTextFile(opts.caCert);
    } catch (err) {
      throw new UsageError(`Cannot read --ca-cert "${opts.caCert}": ${(err as Error).message}`);
    }
    if (!pem.includes("-----BEGIN CERTIFICATE-----")) {
      throw new UsageError(`--ca-cert "${opts.caCert}" holds no PEM certificate`);
    }
    trust.caPems!.push(pem);
    trust.caOnly = true;
  }
  const headers: Record<string, string> = {};
  const key = opts.apikey ?? Deno.env.get("AFT_API_KEY");
  // The service on this data directory: trust its own CA, and use the local channel if no key.
  // Without --host, that service is the one to call when it runs.
  const local = await readServiceFiles(resolveDataDir(opts.data));
  const hostText = opts.host ??
    (local && await serviceUp(local.info) ? local.info.connect : DEFAULT_HOST);
  if (local && sameService(hostText, local.info.listen, local.info.connect)) {
    if (local.caPem) trust.caPems!.push(local.caPem);
    trust.fingerprint = local.info.fingerprint;
    if (!key && local.token) headers["X-Aft-Local-Token"] = local.token;
  }
  if (key) headers["X-API-Key"] = key.trim();
  else if (!headers["X-Aft-Local-Token"]) {
    throw new CliError(
      "An API key is needed: pass -a KEY or set AFT_API_KEY (create one with `aft apikey create NAME`)",
      EXIT_SERVICE,
    );
  }

  const client = new ApiClient(hostText, headers, trust);
  const body: Record<string, unknown> = { params };
  if (opts.name !== undefined) body.scriptName = opts.name;
  if (opts.scriptid !== undefined) body.scriptId = opts.scriptid;
  if (opts.file !== undefined) body.filePath = resolve(opts.file);
  if (opts.wait) {
    // Following takes the scope jobs:read: a key without it is told before anything is
    // queued (it was told after, with exit 3, and a CI step that retries on 3 ran it twice).
    // The log of a job that cannot exist answers 404 to a key that may read logs.
    const probe = await client.request("GET", `/v1/adm/jobs/${"0".repeat(26)}/log?after=0`);
    if (probe.status !== 404) {
      expectJson(probe, "Cannot follow the job's log (--wait), so it was not started");
    }
  }
  const job = expectJson<Pick<JobView, "id" | "scriptName" | "status">>(
    await client.request("POST", "/v1/jobs", body),
    "Cannot start the job",
  );
  mark("job queued on the service");
  if (!opts.wait) {
    console.log(job.id);
    return 0;
  }
  console.error(`aft: job ${job.id} queued (${esc(job.scriptName)}); following its log`);
  let halting = false;
  const onInt = () => {
    if (halting) Deno.exit(130);
    halting = true;
    console.error(`aft: halting job ${job.id} (Ctrl-C again to stop waiting)`);
    client.request("POST", `/v1/adm/jobs/${job.id}/halt`).catch(() => {});
  };
  Deno.addSignalListener("SIGINT", onInt);
  try {
    const end = await followJob(client, job.id, printLine);
    mark("job followed to its end");
    console.error(jobEndLine(end.id, end.status, end.error));
    return jobExitCode(end);
  } finally {
    Deno.removeSignalListener("SIGINT", onInt);
  }
}

function sameService(target: string, listen: string, connect: string): boolean {
  const t = splitHostPort(target);
  const c = splitHostPort(connect);
  const l = splitHostPort(listen);
  const loop = (h: string) => h === "127.0.0.1" || h === "::1" || h === "localhost";
  if (t.port !== c.port) return false;
  return t.host === c.host || t.host === l.host || (loop(t.host) && (loop(c.host) || loop(l.host)));
}
