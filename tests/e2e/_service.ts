/**
 * Starts `aft serve` as a real subprocess on a free loopback port and waits until it answers.
 */

import { join } from "node:path";
import { spawnAft } from "./_cli.ts";

export interface RunningService {
  port: number;
  host: string;
  child: Deno.ChildProcess;
  /** Everything the service wrote to stderr so far. */
  log(): string;
  /** Sends a signal and waits for the exit; returns the exit code. */
  stop(signal?: Deno.Signal): Promise<number>;
}

/**
 * Windows has no SIGTERM/SIGINT to send to another process: Deno's `kill()` there terminates
 * it outright, so a graceful stop can only be tested elsewhere.
 */
export const gracefulStopWorks = Deno.build.os !== "windows";

/** Stops the service and checks it exited cleanly where a graceful stop can be asked for. */
export async function stopClean(svc: RunningService): Promise<void> {
  const code = await svc.stop("SIGTERM");
  if (gracefulStopWorks && code !== 0) throw new Error(`aft serve exited ${code}:\n${svc.log()}`);
}

/** A TCP port that was free a moment ago. */
export function freePort(): number {
  const l = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  const port = (l.addr as Deno.NetAddr).port;
  l.close();
  return port;
}

export async function startService(
  data: string,
  opts: { port?: number; env?: Record<string, string>; args?: string[] } = {},
): Promise<RunningService> {
  const port = opts.port ?? freePort();
  const child = spawnAft(["serve", "--listen", `127.0.0.1:${port}`, ...(opts.args ?? [])], {
    data,
    env: opts.env,
  });
  let stderr = "";
  const done = (async () => {
    const dec = new TextDecoder();
    for await (const chunk of child.stderr) stderr += dec.decode(chunk);
  })();
  child.stdout.cancel();
  const until = Date.now() + 30_000;
  for (;;) {
    if (stderr.includes("serving https://")) {
      try {
        const info = JSON.parse(await Deno.readTextFile(join(data, "service.json")));
        if (info.pid) break;
      } catch { /* not yet */ }
    }
    if (Date.now() > until) {
      try {
        child.kill("SIGKILL");
      } catch { /* gone */ }
      throw new Error(`aft serve did not start:\n${stderr}`);
    }
    await new Promise((r) => setTimeout(r, 50));
  }
  return {
    port,
    host: `127.0.0.1:${port}`,
    child,
    log: () => stderr,
    async stop(signal: Deno.Signal = "SIGTERM") {
      try {
        child.kill(signal);
      } catch { /* already gone */ }
      const st = await child.status;
      await done;
      return st.code;
    },
  };
}
