/**
 * `aft serve`: the service in the foreground. HTTPS REST API, job queue and schedules on the
 * data directory. Writes `service.json` while it runs; stops gracefully on SIGINT or
 * SIGTERM (no new jobs, halt signal to running jobs, their grace period, then exit), or, as a
 * Windows service (`--windows-service`), on the Service Control Manager's stop request. Logs
 * to `DATA/logs/aft.log` (rotated) and standard error.
 *
 * @module
 */

import { CliError, RefusedError, UsageError } from "../errors.ts";
import {
  connectAddress,
  createEngine,
  type Engine,
  isLoopback,
  readServiceFiles,
  removeServiceFiles,
  resolveDataDir,
  serviceUp,
  writeServiceFiles,
} from "../engine/mod.ts";
// The composition root of the service: the one command that mounts the API.
import { createApp } from "../api/app.ts";
import { consoleAssets, consoleOwns, createConsole } from "../ui/mod.ts";
import { loadOrCreateTls, loadTlsFiles, notAfterOf } from "../api/tls.ts";
import { certificateDetails } from "../api/tls_details.ts";
import { answerAfterBody } from "../api/drain.ts";
import { splitHostPort } from "../client/http.ts";
import { VERSION } from "../version.ts";
import type { ServiceLog } from "../log/service_log.ts";
import type { WindowsServiceLink } from "../os_service/windows_service.ts";
import type { GlobalOptions } from "./_output.ts";
import { openServeLog, type ServeLogOptions } from "./_serve_log.ts";

/** How long the API stays up, when jobs were running at a stop, after they have ended. */
const FOLLOWERS_LINGER_MS = 1_500;

/** Options of `aft serve`. */
export interface ServeOptions extends GlobalOptions, ServeLogOptions {
  /** `--listen HOST:PORT`. */
  listen?: string;
  tlsCert?: string;
  tlsKey?: string;
  /** `--store URL`: `postgres://...` or `sqlite:PATH`. */
  store?: string;
  /** Started by the Windows Service Control Manager (`aft svc install`): hidden. */
  windowsService?: boolean;
  /** `--node NAME`: this node's name. */
  node?: string;
}

/** Job states worth a line in the service log (one line per change, whatever the job logs). */
const LOGGED_STATES = new Set(["running", "succeeded", "failed", "halted"]);

/** Entry of `aft serve`. */
export default async function serve(
  _action: string,
  _args: string[],
  opts: ServeOptions,
): Promise<number> {
  if ((opts.tlsCert === undefined) !== (opts.tlsKey === undefined)) {
    throw new UsageError("--tls-cert and --tls-key go together");
  }
  if (opts.windowsService && Deno.build.os !== "windows") {
    throw new UsageError("--windows-service is for Windows only");
  }
  // A Windows service's default data directory is %ProgramData%\aft (see data_dir.ts).
  if (opts.windowsService) Deno.env.set("AFT_WINDOWS_SERVICE", "1");
  const dataDir = resolveDataDir(opts.data);
  const logger = openServeLog(dataDir, opts, { stderr: !opts.windowsService });
  const stop = Promise.withResolvers<string>();
  let scm: WindowsServiceLink | undefined;
  try {
    // The SCM waits for the service to answer: connect before anything slow.
    if (opts.windowsService) {
      const { connectWindowsService } = await import("../os_service/windows_service.ts");
      scm = await connectWindowsService(() => stop.resolve("stop request from Windows"));
    }
    const code = await serveLogged(opts, dataDir, logger, stop, scm);
    await scm?.stopped(code);
    return code;
  } catch (err) {
    // The CLI prints the error itself; the file (all a Windows service has) keeps it too.
    logger.toFile("error", `aft serve ended: ${(err as Error).message}`);
    await scm?.stopped(1);
    throw err;
  } finally {
    logger.close();
  }
}

async function serveLogged(
  opts: ServeOptions,
  dataDir: string,
  logger: ServiceLog,
  stopRequest: PromiseWithResolvers<string>,
  scm: WindowsServiceLink | undefined,
): Promise<number> {
  const log = (level: "INFO" | "WARN", msg: string) =>
    level === "WARN" ? logger.warn(msg) : logger.info(msg);
  const engine = await createEngine({
    dataDir,
    storeUrl: opts.store,
    node: opts.node,
    log: (m) => log("WARN", m),
  });
  const running = await readServiceFiles(engine.dataDir);
  if (running && running.info.pid !== Deno.pid && await serviceUp(running.info)) {
    await engine.close();
    throw new RefusedError(
      `A service already runs on the data directory ${engine.dataDir} (pid ${running.info.pid}, ${running.info.listen})`,
    );
  }

  const settings = await engine.settings.get();
  const listen = opts.listen ?? settings.listen;
  let host: string, port: number;
  try {
    ({ host, port } = splitHostPort(listen));
  } catch {
    throw new UsageError(`--listen takes HOST:PORT, not "${listen}"`);
  }
  const tlsMaterial = opts.tlsCert
    ? await loadTlsFiles(opts.tlsCert, String(opts.tlsKey)).catch((err) => {
      throw new UsageError(`Cannot read the TLS certificate or key: ${(err as Error).message}`);
    })
    : await loadOrCreateTls(engine.dataDir);

  const token = btoa(String.fromCharCode(...crypto.getRandomValues(new Uint8Array(32))))
    .replace(/[+/=]/g, "");
  const app = createApp({ engine, localToken: token, log: (m) => log("WARN", m) });
  // The web console on the same origin: every path the REST API does not own. Its assets
  // are bundled on first use (or read from the binary); AFT_UI_ASSETS names a folder built by
  // src/ui/build.ts instead, AFT_UI_DEMO=1 adds the style guide.
  const web = createConsole({
    assets: consoleAssets({ prebuilt: Deno.env.get("AFT_UI_ASSETS") || undefined }),
    demo: Deno.env.get("AFT_UI_DEMO") === "1",
    engine,
    service: {
      tls: { notAfter: notAfterOf(tlsMaterial.cert), fingerprint: tlsMaterial.fingerprint },
    },
    log: (m) => log("INFO", m),
    tls: await certificateDetails(tlsMaterial.cert, opts.tlsCert ? "given" : "local CA"),
  });

  // Each response waits for the rest of its request body: see drain.ts (HTTP/2 and curl).
  const answer = (req: Request, info: Deno.ServeHandlerInfo<Deno.NetAddr>) => {
    const env = { remoteAddr: info.remoteAddr.hostname };
    const owner = consoleOwns(new URL(req.url).pathname) ? web : app;
    return answerAfterBody(req, owner.fetch(req, env));
  };
  let server: Deno.HttpServer<Deno.NetAddr>;
  try {
    server = Deno.serve({
      hostname: host,
      port,
      cert: tlsMaterial.cert,
      key: tlsMaterial.key,
      onListen: () => {},
    }, answer);
  } catch (err) {
    await engine.close();
    const why = err instanceof Deno.errors.AddrInUse
      ? "the address is in use (another aft serve, or another program?)"
      : (err as Error).message;
    throw new CliError(`Cannot listen on ${listen}: ${why}`, 1);
  }
  const bound = server.addr;
  const shown = bound.hostname.includes(":") ? `[${bound.hostname}]` : bound.hostname;
  try {
    await engine.service.start({
      log: (m) => log("INFO", m),
      address: `${shown}:${bound.port}`,
    });
  } catch (err) {
    await engine.service.stop().catch(() => {});
    await server.shutdown();
    await engine.close();
    throw err;
  }
  const unwatch = logJobs(engine, logger);
  await writeServiceFiles(engine.dataDir, {
    pid: Deno.pid,
    listen: `${shown}:${bound.port}`,
    connect: connectAddress(`${shown}:${bound.port}`, bound.port),
    fingerprint: tlsMaterial.fingerprint,
    version: VERSION,
    startedAt: new Date().toISOString(),
    node: engine.node,
  }, token);
  log("INFO", `aft ${VERSION} serving https://${shown}:${bound.port} (data ${engine.dataDir})`);
  log("INFO", `TLS certificate SHA-256 ${tlsMaterial.fingerprint}`);
  if (await engine.setup.needed()) {
    // The wizard is open from this machine at once; from elsewhere it takes a one-time code,
    // printed here only (a code printed by another node works as well: the store keeps them).
    const code = isLoopback(bound.hostname) ? undefined : await engine.setup.issueCode();
    log(
      "INFO",
      `no admin yet: open https://${shown}:${bound.port}/setup from this machine to create the first one${
        code ? `, or from elsewhere with the setup code ${code} (valid 24 hours)` : ""
      }`,
    );
  }
  log("INFO", `store ${engine.storeInfo.kind} ${engine.storeInfo.location}, node ${engine.node}`);
  if ((await engine.apikeys.list()).length === 0) {
    log("INFO", "no API keys yet: create one with `aft apikey create NAME`");
  }

  scm?.running();

  let stopping = false;
  const onSignal = (sig: string) => () => {
    if (stopping) {
      log("WARN", `${sig} again: exiting without waiting for jobs`);
      removeServiceFiles(engine.dataDir).finally(() => Deno.exit(130));
      return;
    }
    stopRequest.resolve(sig);
  };
  // A Windows service has no console: the SCM's stop request is its Ctrl-C.
  const signals: Deno.Signal[] = scm
    ? []
    : Deno.build.os === "windows"
    ? ["SIGINT", "SIGBREAK"]
    : ["SIGINT", "SIGTERM"];
  const handlers = signals.map((s) => [s, onSignal(s)] as const);
  for (const [s, h] of handlers) Deno.addSignalListener(s, h);

  const why = await stopRequest.promise;
  stopping = true;
  const n = engine.service.runningHere();
  // The grace as it is now: it may have been changed since the service started.
  const grace = (await engine.settings.get({ fresh: true }).catch(() => settings)).haltGraceSeconds;
  log(
    "INFO",
    `${why}: stopping; no new jobs${
      n > 0 ? `, halt signal sent to ${n} running job(s) (grace ${grace} s)` : ""
    }`,
  );
  scm?.stopping((grace + 30) * 1000);
  await engine.service.stop();
  // `aft start --wait` and `aft jobs log --follow` poll a running job's log about once a
  // second: the API stays up that long after the last job ended, so that they read its end
  // instead of a refused connection.
  if (n > 0) await new Promise((r) => setTimeout(r, FOLLOWERS_LINGER_MS));
  await server.shutdown();
  unwatch();
  await removeServiceFiles(engine.dataDir);
  await engine.close();
  for (const [s, h] of handlers) Deno.removeSignalListener(s, h);
  log("INFO", "stopped");
  return 0;
}

/** One service-log line per job state change (never the job's own log lines). */
function logJobs(engine: Engine, logger: ServiceLog): () => void {
  const last = new Map<string, string>();
  return engine.bus.on((e) => {
    if (e.type !== "job" || !LOGGED_STATES.has(e.job.status)) return;
    const { id, scriptName, status, exitCode } = e.job;
    if (last.get(id) === status) return;
    if (status === "running") last.set(id, status);
    else last.delete(id);
    logger.info(
      `job ${id} (${scriptName}) ${status}${
        exitCode !== null && status !== "running" ? ` exit ${exitCode}` : ""
      }`,
      { job: id, script: scriptName, status, ...(exitCode !== null ? { exitCode } : {}) },
    );
  });
}
