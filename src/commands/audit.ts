/**
 * `aft audit`: the audit log on this data directory, newest first: who did what, when, from
 * which address. Filters by actor, action (one, or a group such as `script`) and time range; as
 * a table, JSON (`--json`) or CSV (`--csv`, every matching entry unless `--limit` is given).
 *
 * @module
 */

import { UsageError } from "../errors.ts";
import { AUDIT_CSV_HEADER, auditCsvRow, type AuditView, createEngine } from "../engine/mod.ts";
import { type GlobalOptions, printJson, printTable, shortTime } from "./_output.ts";

/** Options of `aft audit`. */
export interface AuditOptions extends GlobalOptions {
  json?: boolean;
  csv?: boolean;
  actor?: string;
  action?: string;
  from?: string;
  to?: string;
  /** Text, as typed. */
  limit?: string;
}

/** What an entry's detail says, short, for the table. */
function detailText(e: AuditView): string {
  if (!e.detail) return "";
  const parts = Object.entries(e.detail).map(([k, v]) =>
    `${k}=${typeof v === "string" ? v : JSON.stringify(v)}`
  );
  const text = parts.join(" ");
  return text.length > 80 ? text.slice(0, 79) + "…" : text;
}

/** Entry of `aft audit`. */
export default async function audit(
  _action: string,
  args: string[],
  opts: AuditOptions,
): Promise<number> {
  if (args.length > 0) {
    throw new UsageError(
      "aft audit takes no arguments: filter with --actor, --action, --from, --to",
    );
  }
  if (opts.json && opts.csv) throw new UsageError("--json and --csv do not go together");
  let limit: number | undefined;
  if (opts.limit !== undefined) {
    limit = Number(opts.limit);
    if (!Number.isInteger(limit) || limit < 1) {
      throw new UsageError("--limit takes a positive whole number");
    }
  }
  const query = { actor: opts.actor, action: opts.action, from: opts.from, to: opts.to };
  const engine = await createEngine({ dataDir: opts.data });
  try {
    if (opts.csv) {
      await engine.audit.list({ ...query, limit: 1 }); // a bad filter fails before any output
      const out = Deno.stdout.writable.getWriter();
      const enc = new TextEncoder();
      try {
        await out.write(enc.encode(AUDIT_CSV_HEADER + "\r\n"));
        for await (const e of engine.audit.all({ ...query, limit })) {
          await out.write(enc.encode(auditCsvRow(e)));
        }
      } finally {
        out.releaseLock();
      }
      return 0;
    }
    const { entries } = await engine.audit.list({ ...query, limit: Math.min(limit ?? 50, 1000) });
    if (opts.json) printJson(entries);
    else {
      printTable(
        ["time", "actor", "from", "action", "target", "result", "detail"],
        entries.map((e) => [
          shortTime(e.at),
          `${e.actorKind} ${e.actorName}`,
          e.ip ?? "-",
          e.action,
          e.target ?? "-",
          e.outcome,
          detailText(e),
        ]),
        "(no entries)",
      );
    }
    return 0;
  } finally {
    await engine.close();
  }
}
