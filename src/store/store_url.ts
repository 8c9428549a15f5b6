/**
 * Store locations as users give them (`--store`, `$AFT_STORE`, `store` in `config.json`):
 * `postgres://USER:PASSWORD@HOST:PORT/DB?sslmode=...` (or `postgresql://`) for PostgreSQL,
 * `sqlite:PATH` for a SQLite file. A store URL is printed only through {@link redactStoreUrl},
 * which hides the password wherever it stands.
 *
 * @example
 * ```ts
 * redactStoreUrl("postgres://aft:s3cret@db:5432/aft"); // "postgres://aft:***@db:5432/aft"
 * ```
 * @module
 */

import { isAbsolute, resolve } from "../path.ts";
import { StoreError } from "./types.ts";

/** Which store, and where. */
export type StoreSpec =
  | { kind: "sqlite"; path: string }
  | { kind: "postgres"; url: string };

const POSTGRES = /^postgres(ql)?:\/\//i;

/**
 * `url` with any password replaced by `***`: the password of the user part (everything between
 * the user's `:` and the last `@` of the authority, so a password holding an unencoded `@` or
 * `/` is hidden whole) and a `password=` query parameter. Text that is no URL comes back as is.
 */
export function redactStoreUrl(url: string): string {
  const m = /^([a-z][a-z0-9+.-]*:\/\/)(.*)$/is.exec(url);
  if (!m) return url;
  let [, scheme, rest] = m as unknown as [string, string, string];
  const at = rest.lastIndexOf("@");
  if (at >= 0) {
    const userinfo = rest.slice(0, at);
    const colon = userinfo.indexOf(":");
    if (colon >= 0) rest = `${userinfo.slice(0, colon)}:***${rest.slice(at)}`;
  }
  rest = rest.replace(/([?&]password=)[^&#]*/gi, "$1***");
  return scheme + rest;
}

/**
 * Parses a store location. A `sqlite:` path is taken relative to `baseDir` (the data
 * directory); INVALID for anything else, naming what is accepted.
 */
export function parseStoreSpec(value: string, baseDir: string): StoreSpec {
  const v = value.trim();
  if (POSTGRES.test(v)) return { kind: "postgres", url: v };
  if (/^sqlite:/i.test(v)) {
    const path = v.slice("sqlite:".length).replace(/^\/\/(?=\/)/, "");
    if (path === "") throw new StoreError("INVALID", 'The store "sqlite:" names no file');
    return { kind: "sqlite", path: isAbsolute(path) ? path : resolve(baseDir, path) };
  }
  throw new StoreError(
    "INVALID",
    `Unknown store "${
      redactStoreUrl(v)
    }": use postgres://USER:PASSWORD@HOST:PORT/DATABASE or sqlite:PATH`,
  );
}
