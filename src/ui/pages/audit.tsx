/**
 * The Audit log page: filters (actor, action, time range in the browser's time zone), the
 * entries newest first with who, when, from where, what and what changed, paging, and the CSV
 * download of everything the filters match.
 *
 * @module
 */

import type { AuditView } from "../../engine/mod.ts";
import {
  Button,
  EmptyState,
  Icon,
  LinkButton,
  Notice,
  PageHead,
  Table,
  Time,
} from "../components.tsx";
import type { UiState } from "../context.ts";
import { Field, SelectField } from "../forms.tsx";
import { Page } from "../layout.tsx";

/** The filters as the page's form holds them. */
export interface AuditFilters {
  actor: string;
  action: string;
  /** ISO times (the hidden fields the browser fills from its local time inputs). */
  from: string;
  to: string;
}

/** The action groups offered in the filter, with their words. */
export const ACTION_GROUPS: { value: string; label: string }[] = [
  { value: "", label: "Every action" },
  { value: "signin", label: "Sign-ins" },
  { value: "signout", label: "Sign-outs" },
  { value: "setup", label: "Setup wizard" },
  { value: "admin", label: "Admins" },
  { value: "settings", label: "Settings" },
  { value: "script", label: "Scripts" },
  { value: "vfs", label: "VFS Library" },
  { value: "secret", label: "Secrets" },
  { value: "apikey", label: "API keys" },
  { value: "schedule", label: "Schedules" },
  { value: "job", label: "Jobs" },
  { value: "reinit", label: "aft reinit" },
];

/**
 * A time typed in the browser's time zone (`NAMELocal`) for the UTC field NAME the service
 * reads; `client/local_input.ts` keeps the two in step (without script, the typed time is UTC).
 */
function LocalTimeField(props: { label: string; name: string; iso: string }) {
  const id = `f-${props.name}Local`;
  return (
    <div class="field">
      <label for={id}>{props.label}</label>
      <input
        id={id}
        name={`${props.name}Local`}
        type="datetime-local"
        value={utcInput(props.iso)}
        data-utc-field={props.name}
      />
      <input type="hidden" name={props.name} value={props.iso} />
    </div>
  );
}

/** The query string of the filters (and a cursor). */
export function auditQuery(f: AuditFilters, extra: Record<string, string> = {}): string {
  const q = new URLSearchParams();
  for (const [k, v] of Object.entries({ ...f, ...extra })) if (v) q.set(k, v);
  const s = q.toString();
  return s ? `?${s}` : "";
}

/** `YYYY-MM-DDTHH:MM` in UTC, what the page's local inputs show without script. */
const utcInput = (iso: string) => iso ? iso.slice(0, 16) : "";

function Detail(props: { detail: Record<string, unknown> | null }) {
  if (!props.detail) return <span class="muted">—</span>;
  return (
    <dl class="detail">
      {Object.entries(props.detail).map(([k, v]) => (
        <div>
          <dt>{k}</dt>
          <dd>{typeof v === "string" ? v : JSON.stringify(v)}</dd>
        </div>
      ))}
    </dl>
  );
}

/** The Audit log page. */
export function AuditPage(props: {
  ui: UiState;
  filters: AuditFilters;
  entries: AuditView[];
  nextCursor: string | null;
  /** This page is not the first. */
  paged: boolean;
  error?: string;
}) {
  const { filters: f, entries } = props;
  const filtered = f.actor !== "" || f.action !== "" || f.from !== "" || f.to !== "";
  return (
    <Page ui={props.ui} title="Audit log" nav="audit">
      <PageHead
        title="Audit log"
        actions={
          <LinkButton href={`/audit.csv${auditQuery(f)}`} icon="download">Download CSV</LinkButton>
        }
      />
      <p class="muted">
        Sign-ins, configuration changes and job actions from the console, the REST API and the
        command line: who, when, from which address, and what changed. Secret values are never
        recorded.
      </p>
      <form
        method="get"
        action="/audit"
        class="filters"
        role="search"
        aria-label="Filter the audit log"
      >
        <Field label="Actor" name="actor" value={f.actor} hint="User name, key name or OS user" />
        <SelectField label="Action" name="action" value={f.action} options={ACTION_GROUPS} />
        <LocalTimeField label="From" name="from" iso={f.from} />
        <LocalTimeField label="Until" name="to" iso={f.to} />
        <div class="filter-actions">
          <Button type="submit" variant="primary" icon="search">Filter</Button>
          {filtered && <a href="/audit">Clear filters</a>}
        </div>
      </form>
      {props.error && <Notice kind="error">{props.error}</Notice>}
      {entries.length === 0
        ? (
          <EmptyState icon="audit" title={filtered ? "No entry matches" : "Nothing recorded yet"}>
            {filtered
              ? "Widen the time range or clear a filter."
              : "Sign-ins, changes and job actions appear here as they happen."}
          </EmptyState>
        )
        : (
          <Table
            caption={props.paged ? "Audit log entries (older)" : "Audit log entries, newest first"}
            captionHidden
            columns={["Time", "Actor", "Address", "Action", "Target", "Result", "Detail"]}
          >
            {entries.map((e) => (
              <tr>
                <td>
                  <Time iso={e.at} />
                </td>
                <td>
                  <span class="muted">{e.actorKind}</span> {e.actorName}
                </td>
                <td>{e.ip ?? <span class="muted">local</span>}</td>
                <td>
                  <code>{e.action}</code>
                </td>
                <td class="target">{e.target ?? ""}</td>
                <td>
                  <span class={`badge ${e.outcome === "ok" ? "succeeded" : "failed"}`}>
                    {e.outcome === "ok" ? "ok" : "failed"}
                  </span>
                </td>
                <td>
                  <Detail detail={e.detail} />
                </td>
              </tr>
            ))}
          </Table>
        )}
      <nav class="pager" aria-label="Pages of the audit log">
        {props.paged && (
          <a href={`/audit${auditQuery(f)}`}>
            <Icon name="audit" /> Newest entries
          </a>
        )}
        {props.nextCursor && (
          <a href={`/audit${auditQuery(f, { cursor: props.nextCursor })}`} rel="next">
            Older entries
          </a>
        )}
      </nav>
    </Page>
  );
}
