/**
 * `aft store copy --to postgres://...`: moves this host's SQLite store (the data directory's
 * `aft.db`, or `--from sqlite:PATH`) into a new, empty PostgreSQL database, for running several
 * nodes (see `store/copy.ts`). Stop `aft serve` first: what it writes during the copy is not
 * copied.
 *
 * @module
 */

import { join } from "node:path";
import { RefusedError, UsageError } from "../errors.ts";
import { readServiceFiles, resolveDataDir, serviceUp } from "../engine/mod.ts";
import { copyStore } from "../store/copy.ts";
import { parseStoreSpec, redactStoreUrl } from "../store/store_url.ts";
import { StoreError } from "../store/types.ts";
import { type GlobalOptions, printJson } from "./_output.ts";

/** Options of `aft store`. */
export interface StoreOptions extends GlobalOptions {
  /** `copy --to URL`: the PostgreSQL database to fill. */
  to?: string;
  /** `copy --from sqlite:PATH` (default: the data directory's `aft.db`). */
  from?: string;
  json?: boolean;
}

/** Entry of `aft store`. */
export default async function store(
  action: string,
  _args: string[],
  opts: StoreOptions,
): Promise<number> {
  if (action !== "copy") throw new UsageError(`Unknown action "${action}"`);
  const dataDir = resolveDataDir(opts.data);
  const to = String(opts.to ?? "");
  if (!/^postgres(ql)?:\/\//i.test(to)) {
    throw new UsageError(`--to takes a postgres:// URL, not "${redactStoreUrl(to)}"`);
  }
  let from = join(dataDir, "aft.db");
  if (opts.from !== undefined) {
    const spec = parseStoreSpec(opts.from, dataDir);
    if (spec.kind !== "sqlite") throw new UsageError("--from takes sqlite:PATH");
    from = spec.path;
  }
  try {
    await Deno.stat(from);
  } catch {
    throw new UsageError(`No SQLite store at "${from}"`);
  }
  const svc = await readServiceFiles(dataDir);
  if (opts.from === undefined && svc && await serviceUp(svc.info)) {
    throw new RefusedError(
      `The service is running (pid ${svc.info.pid}): stop it before aft store copy`,
    );
  }
  let report;
  try {
    report = await copyStore(from, to);
  } catch (err) {
    if (err instanceof StoreError && err.code === "ALREADY_EXISTS") {
      throw new RefusedError(err.message);
    }
    throw err;
  }
  if (opts.json) printJson(report);
  else {
    for (const r of report) console.error(`${r.table}: ${r.rows} row(s)`);
    console.error(
      `copied ${from} into ${
        redactStoreUrl(to)
      }; point the nodes at it with --store, $AFT_STORE or config.json`,
    );
  }
  return 0;
}
