/**
 * `aft serve`: the service in the foreground. HTTPS REST API, job queue and schedules on the
 * data directory's store. Writes `service.json` while it runs; stops gracefully on SIGINT or
 * SIGTERM (no new jobs, halt signal to running jobs, their grace period, then exit).
 *
 * @module
 */

import { CliError, RefusedError, UsageError } from "../errors.ts";
import { createEngine } from "../engine/engine.ts";
import { JobQueue } from "../engine/queue.ts";
import { Scheduler } from "../engine/schedules.ts";
import {
  connectAddress,
  readServiceFiles,
  removeServiceFiles,
  serviceUp,
  writeServiceFiles,
} from "../engine/service_file.ts";
import { createApp } from "../api/app.ts";
import { loadOrCreateTls, loadTlsFiles } from "../api/tls.ts";
import { splitHostPort } from "../client/http.ts";
import { VERSION } from "../version.ts";

function log(level: string, msg: string): void {
  console.error(`${new Date().toISOString()} ${level.padEnd(5)} ${msg}`);
}

/** Entry of `aft serve`. */
export default async function serve(
  _action: string,
  _args: string[],
  opts: Record<string, unknown>,
): Promise<number> {
  if ((opts.tlsCert === undefined) !== (opts.tlsKey === undefined)) {
    throw new UsageError("--tls-cert and --tls-key go together");
  }
  const engine = await createEngine({
    dataDir: opts.data as string | undefined,
    store: opts.store as string | undefined,
  });
  const running = await readServiceFiles(engine.dataDir);
  if (running && running.info.pid !== Deno.pid && await serviceUp(running.info)) {
    await engine.close();
    throw new RefusedError(
      `A service already runs on the data directory ${engine.dataDir} (pid ${running.info.pid}, ${running.info.listen})`,
    );
  }

  const settings = await engine.settings();
  const listen = String(opts.listen ?? settings.listen);
  let host: string, port: number;
  try {
    ({ host, port } = splitHostPort(listen));
  } catch {
    throw new UsageError(`--listen takes HOST:PORT, not "${listen}"`);
  }
  const tlsMaterial = opts.tlsCert
    ? await loadTlsFiles(String(opts.tlsCert), String(opts.tlsKey)).catch((err) => {
      throw new UsageError(`Cannot read the TLS certificate or key: ${(err as Error).message}`);
    })
    : await loadOrCreateTls(engine.dataDir);

  const queue = new JobQueue(engine, { log: (m) => log("INFO", m) });
  const scheduler = new Scheduler(engine, {
    onJob: () => queue.wake(),
    log: (m) => log("INFO", m),
  });
  const token = btoa(String.fromCharCode(...crypto.getRandomValues(new Uint8Array(32))))
    .replace(/[+/=]/g, "");
  const app = createApp({ engine, queue, localToken: token });

  let server: Deno.HttpServer<Deno.NetAddr>;
  try {
    server = Deno.serve({
      hostname: host,
      port,
      cert: tlsMaterial.cert,
      key: tlsMaterial.key,
      onListen: () => {},
    }, (req, info) => app.fetch(req, { remoteAddr: info.remoteAddr.hostname }));
  } catch (err) {
    await engine.close();
    const why = err instanceof Deno.errors.AddrInUse
      ? "the address is in use (another aft serve, or another program?)"
      : (err as Error).message;
    throw new CliError(`Cannot listen on ${listen}: ${why}`, 1);
  }
  const bound = server.addr;
  const shown = bound.hostname.includes(":") ? `[${bound.hostname}]` : bound.hostname;
  await queue.start();
  await scheduler.start();
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
  log("INFO", `store ${engine.store.kind} ${engine.store.location}`);
  if ((await engine.store.apikeys.list()).length === 0) {
    log("INFO", "no API keys yet: create one with `aft apikey create NAME`");
  }

  const stopped = Promise.withResolvers<void>();
  let stopping = false;
  const onSignal = (sig: string) => () => {
    if (stopping) {
      log("WARN", `${sig} again: exiting without waiting for jobs`);
      removeServiceFiles(engine.dataDir).finally(() => Deno.exit(130));
      return;
    }
    stopping = true;
    const n = queue.runningCount;
    log(
      "INFO",
      `${sig}: stopping; no new jobs${
        n > 0
          ? `, halt signal sent to ${n} running job(s) (grace ${settings.haltGraceSeconds} s)`
          : ""
      }`,
    );
    stopped.resolve();
  };
  const signals: Deno.Signal[] = Deno.build.os === "windows"
    ? ["SIGINT", "SIGBREAK"]
    : ["SIGINT", "SIGTERM"];
  const handlers = signals.map((s) => [s, onSignal(s)] as const);
  for (const [s, h] of handlers) Deno.addSignalListener(s, h);

  await stopped.promise;
  scheduler.stop();
  await queue.stop();
  await server.shutdown();
  await removeServiceFiles(engine.dataDir);
  await engine.close();
  for (const [s, h] of handlers) Deno.removeSignalListener(s, h);
  log("INFO", "stopped");
  return 0;
}
