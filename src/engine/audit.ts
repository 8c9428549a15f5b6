/**
 * The audit log: who did what, when, from which address, and what changed (never a secret
 * value). Entries are written by the engine's operations for the actor they act as
 * (`engine.as(actor)`, see `audited.ts`), and by sign-in, setup and sign-out themselves;
 * `engine.audit` reads them, filtered and paged, and writes them as CSV.
 *
 * @example
 * ```ts
 * const page = await engine.audit.list({ action: "settings", limit: 20 });
 * for await (const e of engine.audit.all({ actor: "ada" })) console.log(auditCsvRow(e));
 * ```
 * @module
 */

import type { AuditFilter, AuditRecord, NewAuditEntry } from "../store/types.ts";
import { EngineError, guarded } from "./errors.ts";
import type { EngineCore } from "./types.ts";

/** Who acts: an admin in the console, an API key, the CLI's OS user, ... */
export interface Actor {
  kind: "admin" | "apikey" | "cli" | "local" | "schedule" | "system";
  /** The admin's user name, the key's name, the OS user, the schedule's name. */
  name: string;
  /** The address a network caller came from. */
  ip?: string;
}

/** An entry as every surface shows it. */
export type AuditView = AuditRecord;

/** A query of the log as callers give it. */
export interface AuditQuery {
  actor?: string;
  /** `script.create`, or `script` for every script action. */
  action?: string;
  /** ISO times (or dates): entries at or after `from`, before `to`. */
  from?: string;
  to?: string;
  limit?: number;
  /** `nextCursor` of the previous page. */
  cursor?: string;
}

export interface AuditOps {
  /** A page, newest first. INVALID_REQUEST for a bad time or limit, INVALID_CURSOR. */
  list(query?: AuditQuery): Promise<{ entries: AuditView[]; nextCursor: string | null }>;
  /** Every entry the query matches, newest first, read page by page (`limit` caps the count). */
  all(query?: AuditQuery): AsyncGenerator<AuditView>;
}

/**
 * The CLI's actor: the OS user running it. Its name is the one the system's user database gives
 * for this process's user ID: read from /etc/passwd where the user is there (Linux's local
 * users), else from node:os, whose first import loads Node's layer (about 23 ms of CPU that
 * `aft run` would pay); `$USER` or `$USERNAME` only when neither knows the user.
 */
export async function cliActor(): Promise<Actor> {
  let name = passwdName(Deno.build.os === "windows" ? null : Deno.uid(), readPasswd);
  if (name === undefined) {
    try {
      name = (await import("node:os")).userInfo().username;
    } catch { /* no passwd entry */ }
  }
  name ||= Deno.env.get("USER") ?? Deno.env.get("USERNAME") ?? "unknown";
  return { kind: "cli", name };
}

function readPasswd(): string {
  return Deno.readTextFileSync("/etc/passwd");
}

/**
 * The name of user `uid` in passwd(5) text read by `read`, or undefined (no such line, no
 * file, no user ID). Exported for tests.
 */
export function passwdName(uid: number | null, read: () => string): string | undefined {
  if (uid === null) return undefined;
  let text: string;
  try {
    text = read();
  } catch {
    return undefined;
  }
  for (const line of text.split("\n")) {
    const [name, , id] = line.split(":");
    if (name && !name.startsWith("+") && !name.startsWith("-") && id === String(uid)) return name;
  }
  return undefined;
}

/** Records audit entries for one actor. */
export interface AuditRecorder {
  (
    action: string,
    target: string | null,
    detail?: Record<string, unknown> | null,
    outcome?: "ok" | "failed",
  ): Promise<void>;
  /**
   * The entry the recorder would write, for a store call that writes it in the same
   * transaction as the change it records (a job and its `job.start`).
   */
  entry(
    action: string,
    target: string | null,
    detail?: Record<string, unknown> | null,
    outcome?: "ok" | "failed",
  ): NewAuditEntry;
}

/** A recorder writing to `core`'s store as `actor`. */
export function recorder(core: EngineCore, actor: Actor): AuditRecorder {
  const entry: AuditRecorder["entry"] = (action, target, detail = null, outcome = "ok") => ({
    actorKind: actor.kind,
    actorName: actor.name,
    ip: actor.ip ?? null,
    action,
    target,
    detail,
    outcome,
  });
  const record = async (...args: Parameters<AuditRecorder["entry"]>) => {
    await core.store.audit.add(entry(...args));
  };
  return Object.assign(record, { entry });
}

const CURSOR = /^[0-9a-hjkmnp-tv-z]{26}$/;

/** An ISO time from a query (a date alone is midnight UTC); INVALID_REQUEST otherwise. */
function timeOf(name: string, text: string | undefined): string | undefined {
  if (text === undefined || text.trim() === "") return undefined;
  const t = Date.parse(text.trim());
  if (!/^\d{4}-\d{2}-\d{2}/.test(text.trim()) || Number.isNaN(t)) {
    throw new EngineError(
      "INVALID_REQUEST",
      `"${name}" takes a date or an ISO time such as 2026-03-01T12:00:00Z, not "${text}"`,
    );
  }
  return new Date(t).toISOString();
}

/** The store's filter for a query; throws on bad values. */
export function auditFilter(q: AuditQuery): AuditFilter {
  if (q.cursor !== undefined && q.cursor !== "" && !CURSOR.test(q.cursor)) {
    throw new EngineError(
      "INVALID_CURSOR",
      "The cursor is not one this service gave: use nextCursor of the previous page",
    );
  }
  const limit = q.limit ?? 50;
  if (!Number.isInteger(limit) || limit < 1 || limit > 1000) {
    throw new EngineError("INVALID_REQUEST", "The limit takes a whole number from 1 to 1000");
  }
  return {
    actor: q.actor?.trim() || undefined,
    action: q.action?.trim() || undefined,
    from: timeOf("from", q.from),
    to: timeOf("to", q.to),
    before: q.cursor || undefined,
    limit,
  };
}

/** The audit operations over `core`. */
export function createAuditOps(core: EngineCore): AuditOps {
  const ops = guarded({
    async list(query: AuditQuery = {}) {
      const filter = auditFilter(query);
      const entries = await core.store.audit.list(filter);
      return {
        entries,
        nextCursor: entries.length === filter.limit ? entries.at(-1)!.id : null,
      };
    },
  });
  async function* all(query: AuditQuery = {}): AsyncGenerator<AuditView> {
    const max = query.limit;
    let cursor = query.cursor;
    let n = 0;
    for (;;) {
      const page = await ops.list({ ...query, limit: 500, cursor });
      for (const e of page.entries) {
        if (max !== undefined && n >= max) return;
        n++;
        yield e;
      }
      if (!page.nextCursor) return;
      cursor = page.nextCursor;
    }
  }
  return { list: ops.list, all };
}

/** The CSV columns of an entry. */
export const AUDIT_CSV_HEADER = "time,actor_kind,actor,address,action,target,outcome,detail";

/**
 * One CSV field: quoted when it holds a comma, quote or line break; a value a spreadsheet would
 * take for a formula (`=`, `+`, `-`, `@`, tab, CR first) gets a `'` in front.
 */
export function csvField(value: string | null): string {
  let v = value ?? "";
  if (/^[=+\-@\t\r]/.test(v)) v = "'" + v;
  return /[",\r\n]/.test(v) ? `"${v.replaceAll('"', '""')}"` : v;
}

/** One entry as a CSV line (CRLF-terminated, as RFC 4180 writes it). */
export function auditCsvRow(e: AuditView): string {
  return [
    e.at,
    e.actorKind,
    e.actorName,
    e.ip,
    e.action,
    e.target,
    e.outcome,
    e.detail === null ? "" : JSON.stringify(e.detail),
  ].map(csvField).join(",") + "\r\n";
}

/** The CSV of `entries`, header first, as a stream of text (for downloads). */
export function auditCsvStream(entries: AsyncIterable<AuditView>): ReadableStream<Uint8Array> {
  const enc = new TextEncoder();
  const it = entries[Symbol.asyncIterator]();
  let started = false;
  return new ReadableStream({
    async pull(ctl) {
      if (!started) {
        started = true;
        ctl.enqueue(enc.encode(AUDIT_CSV_HEADER + "\r\n"));
        return;
      }
      let batch = "";
      for (let i = 0; i < 200; i++) {
        const r = await it.next();
        if (r.done) {
          if (batch) ctl.enqueue(enc.encode(batch));
          ctl.close();
          return;
        }
        batch += auditCsvRow(r.value);
      }
      ctl.enqueue(enc.encode(batch));
    },
    async cancel() {
      await it.return?.();
    },
  });
}
