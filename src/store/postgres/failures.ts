/**
 * PostgreSQL's connection failures as the store's: refused, timed out, TLS, login, no such
 * database, a server starting or shutting down, a connection ended mid-query all become
 * StoreError UNAVAILABLE (the engine answers 503), naming the store without its password.
 *
 * @module
 */

import { redactStoreUrl } from "../store_url.ts";
import { StoreError } from "../types.ts";

/** Error codes of node:net and postgres.js for a connection that failed or ended. */
const NET_CODES =
  /^(ECONN|ENOTFOUND|EAI_|ETIMEDOUT|EHOSTUNREACH|EPIPE|CONNECT_TIMEOUT|CONNECTION_)/;
/** SQLSTATE classes: 08 connection, 28 login, 3D no database, 57P0x shutdown or starting. */
const SQLSTATES = /^(28|3D|08|57P0)/;

/**
 * A connection failure as UNAVAILABLE (naming the store at `location` without its password);
 * anything else unchanged.
 */
export function unavailable(location: string, err: unknown): unknown {
  if (err instanceof StoreError) return err;
  const e = err as { code?: string; message?: string } | null;
  const code = String(e?.code ?? "");
  const connection = NET_CODES.test(code) || SQLSTATES.test(code) ||
    /certificate|TLS|SSL/i.test(e?.message ?? "");
  if (!connection) return err;
  const why = String(e?.message ?? err).replaceAll(/postgres(ql)?:\/\/\S+/gi, redactStoreUrl);
  return new StoreError("UNAVAILABLE", `Cannot use the store ${location}: ${why}`, {
    cause: err,
  });
}

/**
 * Whether the server ended the connection itself (57P01 admin shutdown, 57P02 crash shutdown,
 * 57P03 not accepting connections yet), as a restart or failover does to every pooled
 * connection. The statement did not run to its commit (the server ended its backend first), so
 * a call is tried again, twice at most, on a new connection: a job submitted just after the
 * database came back is accepted instead of answered 503.
 */
function endedByServer(err: unknown): boolean {
  return /^57P0[123]$/.test(String((err as { code?: string } | null)?.code ?? ""));
}

/**
 * Wraps every method of a repository (an object literal, or a class instance's methods) so that
 * connection failures reject as UNAVAILABLE.
 */
export function mapFailures<T extends object>(location: string, repo: T): T {
  const out: Record<string, unknown> = {};
  const proto = Object.getPrototypeOf(repo);
  const names = new Set([
    ...Object.keys(repo),
    ...(proto === Object.prototype ? [] : Object.getOwnPropertyNames(proto)),
  ]);
  names.delete("constructor");
  for (const k of names) {
    const v = (repo as Record<string, unknown>)[k];
    out[k] = typeof v !== "function" ? v : async (...args: unknown[]) => {
      for (let attempt = 1;; attempt++) {
        try {
          return await v.apply(repo, args);
        } catch (err) {
          if (attempt < 3 && endedByServer(err)) {
            await new Promise((r) => setTimeout(r, 200 * attempt));
            continue;
          }
          throw unavailable(location, err);
        }
      }
    };
  }
  return out as T;
}
