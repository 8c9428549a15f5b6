/**
 * The Audit log page's routes: `/audit` (filters, pages) and `/audit.csv`, every entry the
 * filters match as CSV, streamed.
 *
 * @module
 */

import { Hono } from "hono";
import type { Context } from "hono";
import { auditCsvStream, type AuditQuery } from "../../engine/mod.ts";
import { renderPage } from "../layout.tsx";
import { type AuditFilters, AuditPage } from "../pages/audit.tsx";
import { type AuthDeps, refused } from "./_auth_deps.ts";

/**
 * The filters of a request. A time comes as ISO (the hidden field the browser's script fills
 * from its local input), else from the local input itself, read as UTC.
 */
export function filtersOf(c: Context): AuditFilters {
  const q = (k: string) => (c.req.query(k) ?? "").trim();
  const time = (iso: string, local: string) => {
    if (iso !== "") return iso;
    return /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}$/.test(local) ? `${local}:00Z` : local;
  };
  return {
    actor: q("actor"),
    action: q("action"),
    from: time(q("from"), q("fromLocal")),
    to: time(q("to"), q("toLocal")),
  };
}

const queryOf = (f: AuditFilters): AuditQuery => ({
  actor: f.actor || undefined,
  action: f.action || undefined,
  from: f.from || undefined,
  to: f.to || undefined,
});

/** The audit routes. */
export function auditRoutes(deps: AuthDeps): Hono {
  const { engine } = deps;
  const app = new Hono();

  app.get("/audit", async (c) => {
    const filters = filtersOf(c);
    const cursor = c.req.query("cursor") || undefined;
    const ui = await deps.uiState(c);
    try {
      const page = await engine.audit.list({ ...queryOf(filters), cursor, limit: 50 });
      return renderPage(
        c,
        AuditPage({ ui, filters, ...page, paged: cursor !== undefined }),
      );
    } catch (err) {
      const e = refused(err);
      return renderPage(
        c,
        AuditPage({ ui, filters, entries: [], nextCursor: null, paged: false, error: e.text }),
        400,
      );
    }
  });

  app.get("/audit.csv", async (c) => {
    const q = queryOf(filtersOf(c));
    try {
      await engine.audit.list({ ...q, limit: 1 }); // a bad filter is said before the download
    } catch (err) {
      return c.text(refused(err).text, 400);
    }
    const day = new Date().toISOString().slice(0, 10);
    return c.body(auditCsvStream(engine.audit.all(q)), 200, {
      "Content-Type": "text/csv; charset=utf-8",
      "Content-Disposition": `attachment; filename="aft-audit-${day}.csv"`,
    });
  });

  return app;
}
