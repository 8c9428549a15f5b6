/**
 * A PostgreSQL URL to the client's options, with libpq's meaning of `sslmode` and
 * `sslrootcert` (a CA file): `disable`; `allow` and `prefer` (the default: TLS when the server
 * offers it, certificate not checked); `require` (TLS, certificate not checked, unless a CA file
 * is given: then as `verify-ca`); `verify-ca` (certificate signed by the CA); `verify-full`
 * (also the host name). `sslrootcert=system` means `verify-full` against the system's CAs.
 *
 * The client is postgres.js (npm `postgres`): pure JavaScript over `node:net` and `node:tls`,
 * so it runs under Deno and inside a `deno compile` binary, and its LISTEN connection reconnects
 * and listens again by itself.
 *
 * @module
 */

import type postgres from "postgres";
import { redactStoreUrl } from "../store_url.ts";
import { StoreError } from "../types.ts";

/** TLS settings for the client: off, opportunistic, or node:tls options. */
export type PgSsl = false | "prefer" | "require" | {
  ca?: string;
  rejectUnauthorized: boolean;
  checkServerIdentity?: () => undefined;
};

/** What {@link pgOptions} derives from a URL (exported for tests). */
export interface PgTarget {
  host: string;
  port: number;
  database: string;
  username: string;
  password: string | undefined;
  ssl: PgSsl;
  connectTimeout: number;
  applicationName: string;
}

const SSLMODES = ["disable", "allow", "prefer", "require", "verify-ca", "verify-full"];
const KNOWN = ["sslmode", "sslrootcert", "connect_timeout", "application_name"];

function invalid(url: string, why: string): StoreError {
  return new StoreError("INVALID", `Bad PostgreSQL URL "${redactStoreUrl(url)}": ${why}`);
}

function readCa(url: string, file: string): string {
  try {
    return Deno.readTextFileSync(file);
  } catch (err) {
    throw invalid(
      url,
      `cannot read the CA file "${file}" (sslrootcert): ${(err as Error).message}`,
    );
  }
}

/** Parses `url` (never echoing its password in an error). */
export function parsePgUrl(url: string): PgTarget {
  let u: URL;
  try {
    u = new URL(url);
  } catch {
    throw invalid(url, "not a URL (characters such as @ : / in the password must be %-encoded)");
  }
  if (!/^postgres(ql)?:$/.test(u.protocol)) throw invalid(url, "the scheme is not postgres://");
  for (const k of u.searchParams.keys()) {
    if (!KNOWN.includes(k)) {
      throw invalid(url, `unknown parameter "${k}" (known: ${KNOWN.join(", ")})`);
    }
  }
  const dec = (s: string) => {
    try {
      return decodeURIComponent(s);
    } catch {
      throw invalid(url, "a bad %-escape in the user, password or database");
    }
  };
  const username = dec(u.username);
  const host = u.hostname.replace(/^\[(.*)\]$/, "$1");
  if (host === "") throw invalid(url, "no host");
  const port = u.port === "" ? 5432 : Number(u.port);
  const database = dec(u.pathname.replace(/^\//, "")) || username;
  if (username === "") throw invalid(url, "no user name");
  const rootcert = u.searchParams.get("sslrootcert");
  let mode = u.searchParams.get("sslmode") ?? (rootcert === "system" ? "verify-full" : "prefer");
  if (!SSLMODES.includes(mode)) {
    throw invalid(url, `sslmode "${mode}" is not one of ${SSLMODES.join(", ")}`);
  }
  const ca = rootcert && rootcert !== "system" ? readCa(url, rootcert) : undefined;
  if (mode === "require" && ca) mode = "verify-ca";
  const ssl: PgSsl = mode === "disable"
    ? false
    : mode === "allow" || mode === "prefer"
    ? "prefer"
    : mode === "require"
    ? "require"
    : mode === "verify-ca"
    ? { ca, rejectUnauthorized: true, checkServerIdentity: () => undefined }
    : { ca, rejectUnauthorized: true };
  const timeout = Number(u.searchParams.get("connect_timeout") ?? 10);
  if (!Number.isFinite(timeout) || timeout <= 0) {
    throw invalid(url, "connect_timeout must be a positive number of seconds");
  }
  return {
    host,
    port,
    database,
    username,
    password: u.password === "" ? undefined : dec(u.password),
    ssl,
    connectTimeout: timeout,
    applicationName: u.searchParams.get("application_name") ?? "aft",
  };
}

/** Client options for `url`; `max` connections in the pool. */
export function pgOptions(
  url: string,
  opts: { max?: number } = {},
): postgres.Options<Record<string, never>> {
  const t = parsePgUrl(url);
  return {
    host: t.host,
    port: t.port,
    database: t.database,
    username: t.username,
    ...(t.password === undefined ? {} : { password: t.password }),
    ssl: t.ssl as postgres.Options<Record<string, never>>["ssl"],
    max: opts.max ?? 10,
    connect_timeout: t.connectTimeout,
    idle_timeout: 300,
    // Notices ("relation already exists, skipping") are not ours to print.
    onnotice: () => {},
    connection: { application_name: t.applicationName, TimeZone: "UTC" },
  };
}
