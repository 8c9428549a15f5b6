/**
 * `service.json`: what a running `aft serve` tells other `aft` processes on the same data
 * directory (pid, address, certificate fingerprint). The local channel's token lives beside it
 * in `service.token` (0600), so only the data directory's owner can use the channel.
 *
 * @module
 */

import { join } from "../path.ts";

export interface ServiceInfo {
  pid: number;
  /** `host:port` the service listens on. */
  listen: string;
  /** Address a local client should use (a wildcard listen address becomes loopback). */
  connect: string;
  fingerprint: string;
  version: string;
  startedAt: string;
  node: string;
}

export const serviceFile = (dataDir: string) => join(dataDir, "service.json");
export const tokenFile = (dataDir: string) => join(dataDir, "service.token");
export const caFile = (dataDir: string) => join(dataDir, "tls", "ca.pem");

/** Writes `service.json` and `service.token`, both private (0600). */
export async function writeServiceFiles(
  dataDir: string,
  info: ServiceInfo,
  token: string,
): Promise<void> {
  await writePrivate(tokenFile(dataDir), token + "\n");
  await writePrivate(serviceFile(dataDir), JSON.stringify(info, null, 2) + "\n");
}

/** Writes a file readable by its owner only, also when an older one was not. */
async function writePrivate(path: string, text: string): Promise<void> {
  await Deno.writeTextFile(path, text, { mode: 0o600 });
  if (Deno.build.os !== "windows") await Deno.chmod(path, 0o600);
}

export async function removeServiceFiles(dataDir: string): Promise<void> {
  for (const f of [serviceFile(dataDir), tokenFile(dataDir)]) {
    await Deno.remove(f).catch(() => {});
  }
}

/** The service recorded in the data directory, with its local token and CA; undefined if none. */
export async function readServiceFiles(
  dataDir: string,
): Promise<{ info: ServiceInfo; token?: string; caPem?: string } | undefined> {
  let info: ServiceInfo;
  try {
    // Synchronous: where no service runs (most `aft run`s) the answer is a missing file,
    // which a call through Deno's thread pool took 1 to 5 ms to tell on aft run's way.
    info = JSON.parse(Deno.readTextFileSync(serviceFile(dataDir)));
  } catch {
    return undefined;
  }
  const token = await Deno.readTextFile(tokenFile(dataDir)).then((t) => t.trim(), () => undefined);
  const caPem = await Deno.readTextFile(caFile(dataDir)).catch(() => undefined);
  return { info, token, caPem };
}

/**
 * True when the service recorded in `info` is up: its process exists (where that can be told
 * cheaply) and its address accepts a connection. A `service.json` left by a crashed service
 * is therefore not mistaken for a running one.
 */
export async function serviceUp(info: ServiceInfo): Promise<boolean> {
  if (Deno.build.os === "linux") {
    try {
      Deno.statSync(`/proc/${info.pid}`);
    } catch {
      return false;
    }
  }
  const m = /^\[?([^\]]*?)\]?:(\d+)$/.exec(info.connect);
  if (!m) return false;
  try {
    const conn = await Promise.race([
      Deno.connect({ hostname: m[1]!, port: Number(m[2]) }),
      new Promise<never>((_, reject) => setTimeout(() => reject(new Error("timeout")), 2000)),
    ]);
    conn.close();
    return true;
  } catch {
    return false;
  }
}

/** `host:port` a local client uses to reach a service listening on `listen`. */
export function connectAddress(listen: string, port: number): string {
  const host = listen.replace(/:\d+$/, "").replace(/^\[|\]$/g, "");
  if (host === "0.0.0.0" || host === "") return `127.0.0.1:${port}`;
  if (host === "::") return `[::1]:${port}`;
  return host.includes(":") ? `[${host}]:${port}` : `${host}:${port}`;
}
