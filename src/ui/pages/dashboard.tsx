/**
 * The dashboard: jobs running and queued now (live), what ended in each of the last 24 hours
 * and the bytes moved (charts), the next scheduled runs, the nodes on the store
 * (`dashboard_nodes.tsx`), and the service (version, uptime, node, TLS certificate).
 *
 * @module
 */

import type { HourSummary, JobView, NodeView, ScheduleRecord } from "../../engine/mod.ts";
import {
  Card,
  EmptyState,
  formatBytes,
  LinkButton,
  PageHead,
  StatusBadge,
  Table,
  Time,
} from "../components.tsx";
import type { UiState } from "../context.ts";
import { Page } from "../layout.tsx";
import { BarChart, LiveCounters } from "../live.tsx";
import { durationText, Facts } from "../page_parts.tsx";
import { NodesTable } from "./dashboard_nodes.tsx";

/** What the dashboard shows. */
export interface DashboardData {
  counts: { running: number; queued: number; succeeded: number; failed: number };
  active: JobView[];
  hours: HourSummary[];
  next: ScheduleRecord[];
  /** The nodes on the store (`engine.nodes.list()`), each with its state. */
  nodes: NodeView[];
  service: {
    version: string;
    node: string;
    startedAt: string | null;
    now: string;
    tls?: { notAfter: string; fingerprint: string };
  };
}

/** The stream the live parts follow. */
export const DASHBOARD_EVENTS = "/events/dashboard";

/** The rows of jobs running and queued (also drawn by `job_table.ts` from the stream). */
function ActiveJobs(props: { jobs: JobView[] }) {
  return (
    <div class="table-wrap">
      <table class="data" data-live-jobs={DASHBOARD_EVENTS}>
        <caption class="visually-hidden">Jobs running and queued</caption>
        <thead>
          <tr>
            <th scope="col">Script</th>
            <th scope="col">Status</th>
            <th scope="col">Trigger</th>
            <th scope="col">Since</th>
          </tr>
        </thead>
        <tbody>
          {props.jobs.length === 0
            ? (
              <tr class="empty-row">
                <td colspan={4}>No job is running or queued.</td>
              </tr>
            )
            : props.jobs.map((j) => (
              <tr>
                <td>
                  <a href={`/jobs/${j.id}`}>{j.scriptName}</a>
                </td>
                <td>
                  <StatusBadge status={j.status} />
                </td>
                <td>{j.trigger}</td>
                <td>
                  <Time iso={j.startedAt ?? j.createdAt} />
                </td>
              </tr>
            ))}
        </tbody>
      </table>
    </div>
  );
}

function certificate(tls: DashboardData["service"]["tls"], now: string) {
  if (!tls) return <span class="muted">unknown</span>;
  const days = Math.floor((Date.parse(tls.notAfter) - Date.parse(now)) / 86_400_000);
  return (
    <>
      <Time iso={tls.notAfter} format="date" />{" "}
      <span class={days < 30 ? "warn-text" : "muted"}>
        {days < 0 ? "(expired)" : `(in ${days} day${days === 1 ? "" : "s"})`}
      </span>
    </>
  );
}

/** The dashboard page. */
export function DashboardPage(props: { ui: UiState; data: DashboardData }) {
  const d = props.data;
  const s = d.service;
  return (
    <Page ui={props.ui} title="Dashboard" nav="dashboard">
      <PageHead
        title="Dashboard"
        actions={<LinkButton href="/scripts" icon="play">Run a script</LinkButton>}
      />
      <LiveCounters
        src={DASHBOARD_EVENTS}
        label="Jobs now and in the last 24 hours"
        items={[
          { key: "running", label: "Running", value: d.counts.running },
          { key: "queued", label: "Queued", value: d.counts.queued },
          { key: "succeeded", label: "Succeeded (24 h)", value: d.counts.succeeded },
          { key: "failed", label: "Failed (24 h)", value: d.counts.failed },
        ]}
      />
      <Card title="Running and queued">
        <ActiveJobs jobs={d.active} />
        <p>
          <a href="/jobs">All jobs</a>
        </p>
      </Card>
      <div class="grid">
        <Card title="Jobs per hour">
          <BarChart
            id="chart-jobs"
            title="Jobs that ended per hour, last 24 hours"
            data={{
              series: ["Succeeded", "Failed"],
              unit: "count",
              times: true,
              points: d.hours.map((h) => ({ label: h.hour, values: [h.succeeded, h.failed] })),
            }}
          />
        </Card>
        <Card title="Bytes moved per hour">
          <BarChart
            id="chart-bytes"
            title="Bytes moved by jobs that ended per hour, last 24 hours"
            data={{
              series: ["Bytes moved"],
              unit: "bytes",
              times: true,
              points: d.hours.map((h) => ({ label: h.hour, values: [h.bytes] })),
            }}
          />
          <p class="muted">
            {`${formatBytes(d.hours.reduce((a, h) => a + h.bytes, 0))} in the last 24 hours`}
          </p>
        </Card>
      </div>
      <div class="grid">
        <Card title="Next scheduled runs">
          {d.next.length === 0
            ? (
              <EmptyState
                icon="schedules"
                title="Nothing scheduled"
                action={<LinkButton href="/schedules/new" icon="plus">New schedule</LinkButton>}
              >
                Schedules run stored scripts at the times of a cron expression.
              </EmptyState>
            )
            : (
              <Table
                caption="Next scheduled runs"
                captionHidden
                columns={["Schedule", "Script", "Next run"]}
              >
                {d.next.map((sc) => (
                  <tr>
                    <td>
                      <a href={`/schedules/${sc.id}`}>{sc.name}</a>
                    </td>
                    <td>{sc.script}</td>
                    <td>
                      <Time iso={sc.nextRunAt} />
                    </td>
                  </tr>
                ))}
              </Table>
            )}
        </Card>
        <Card title="Service">
          <Facts
            id="service-facts"
            items={[
              ["Version", s.version],
              [
                "Up since",
                s.startedAt
                  ? (
                    <>
                      <Time iso={s.startedAt} />{" "}
                      <span class="muted">
                        {`(${durationText(Date.parse(s.now) - Date.parse(s.startedAt))})`}
                      </span>
                    </>
                  )
                  : <span key="up" class="muted">not started</span>,
              ],
              ["Node", s.node],
              ["TLS certificate expires", certificate(s.tls, s.now)],
              [
                "Certificate SHA-256",
                s.tls
                  ? <code key="fp" class="wrap">{s.tls.fingerprint}</code>
                  : <span key="fp" class="muted">—</span>,
              ],
            ]}
          />
        </Card>
      </div>
      <Card title="Nodes">
        <NodesTable nodes={d.nodes} self={s.node} />
        <p class="muted">
          {d.nodes.length > 1
            ? `${d.nodes.length} nodes share this store's jobs and schedules.`
            : "One node: several aft serve nodes can share a PostgreSQL store."}
        </p>
      </Card>
    </Page>
  );
}
