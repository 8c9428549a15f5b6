/**
 * The node's name: who claims, runs and renews jobs, as `aft nodes` lists it. Given with
 * `aft serve --node NAME` or `$AFT_NODE`; else the host name on SQLite (one service per data
 * directory, the only node), and on PostgreSQL the host name and a tag of the data directory
 * (`build-01-k3p9`): two services on one host have two data directories, so they differ, and
 * a service and `aft run` on one data directory (and a service restarted on it) share the
 * name, which lets each of them fail the jobs a vanished process of their own node left behind.
 *
 * @module
 */

import { resolve } from "../path.ts";
import { EngineError } from "./errors.ts";

const ALPHABET = "0123456789abcdefghjkmnpqrstvwxyz";

/** A node name as given: 1 to 100 printable characters without spaces or quotes. */
export function checkNodeId(id: string): string {
  const n = id.trim();
  if (!/^[\p{L}\p{N}._:@+-]{1,100}$/u.test(n)) {
    throw new EngineError(
      "INVALID_NAME",
      `A node name takes 1 to 100 letters, digits and . _ : @ + -, not ${JSON.stringify(id)}`,
    );
  }
  return n;
}

/** Four base32 characters of the SHA-256 of the data directory's absolute path. */
async function tag(dataDir: string): Promise<string> {
  const d = new Uint8Array(
    await crypto.subtle.digest("SHA-256", new TextEncoder().encode(resolve(dataDir))),
  );
  let out = "";
  for (let i = 0; i < 4; i++) out += ALPHABET[d[i]! % 32];
  return out;
}

/** The host name, or "localhost" where the system does not tell it. */
function hostName(): string {
  try {
    return Deno.hostname() || "localhost";
  } catch {
    return "localhost";
  }
}

/**
 * A host name as a node name: characters a node name may not hold become "-", cut to 90.
 * Exported for tests.
 */
export function nodeNameOfHost(host: string): string {
  // An ASCII host name (nearly every one) is left as it is without the Unicode classes, which
  // cost V8 about 5 ms on their first use: in every `aft run`, on its critical path.
  const plain = /^[A-Za-z0-9._:@+-]*$/.test(host);
  return (plain ? host : host.replace(/[^\p{L}\p{N}._:@+-]/gu, "-")).slice(0, 90);
}

/**
 * This process's node name: `given` (the `--node` flag), else `$AFT_NODE`, else the default
 * for the store `kind` (see the module's doc).
 */
export async function nodeIdFor(
  opts: { dataDir: string; kind: "sqlite" | "postgres"; given?: string },
): Promise<string> {
  const given = opts.given ?? (Deno.env.get("AFT_NODE") || undefined);
  if (given !== undefined) return checkNodeId(given);
  const host = nodeNameOfHost(hostName());
  if (opts.kind === "sqlite") return host;
  return `${host}-${await tag(opts.dataDir)}`;
}
