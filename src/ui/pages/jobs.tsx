/**
 * The job pages: the history with filters (status, script, trigger, time range) and paging,
 * and one job with its live log, facts, parameters, Halt, Run again and the log as text.
 *
 * @module
 */

import { JOB_STATUSES, JOB_TRIGGERS, type JobView } from "../../engine/mod.ts";
import {
  Button,
  Card,
  EmptyState,
  formatBytes,
  LinkButton,
  Notice,
  PageHead,
  StatusBadge,
  Table,
  Time,
} from "../components.tsx";
import type { UiState } from "../context.ts";
import { ConfirmForm, Form } from "../forms.tsx";
import { Page } from "../layout.tsx";
import { LiveLog } from "../live.tsx";
import { Breadcrumbs, durationText, Facts, Pager } from "../page_parts.tsx";

/** The filters of the history, as given in the query. */
export interface JobFilters {
  status: string;
  script: string;
  trigger: string;
  /** What the time fields show (browser-local `YYYY-MM-DDTHH:MM`). */
  fromLocal: string;
  toLocal: string;
}

/** How long a job ran, or has run so far. */
export function jobDuration(j: JobView, now = Date.now()): string {
  if (!j.startedAt) return "—";
  const end = j.finishedAt ? Date.parse(j.finishedAt) : now;
  return durationText(end - Date.parse(j.startedAt));
}

function Select(
  props: { id: string; name: string; label: string; value: string; options: readonly string[] },
) {
  return (
    <div class="field">
      <label for={props.id}>{props.label}</label>
      <select id={props.id} name={props.name}>
        <option value="" selected={props.value === ""}>Any</option>
        {props.options.map((o) => (
          <option key={o} value={o} selected={o === props.value}>{o}</option>
        ))}
      </select>
    </div>
  );
}

function Filters(props: { f: JobFilters; scripts: string[] }) {
  const f = props.f;
  return (
    <form
      method="get"
      action="/jobs"
      class="filters"
      data-local-times=""
      role="search"
      aria-label="Filter jobs"
    >
      <Select id="f-status" name="status" label="Status" value={f.status} options={JOB_STATUSES} />
      <div class="field">
        <label for="f-script">Script</label>
        <input id="f-script" type="text" name="script" value={f.script} list="script-names" />
        <datalist id="script-names">
          {props.scripts.map((s) => <option key={s} value={s}></option>)}
        </datalist>
      </div>
      <Select
        id="f-trigger"
        name="trigger"
        label="Trigger"
        value={f.trigger}
        options={JOB_TRIGGERS}
      />
      <div class="field">
        <label for="f-from">From</label>
        <input
          id="f-from"
          type="datetime-local"
          name="fromLocal"
          value={f.fromLocal}
          data-iso="from"
        />
      </div>
      <div class="field">
        <label for="f-to">Until</label>
        <input id="f-to" type="datetime-local" name="toLocal" value={f.toLocal} data-iso="to" />
      </div>
      <div class="filter-actions">
        <Button type="submit" icon="search">Filter</Button>
        <a href="/jobs">Clear</a>
      </div>
    </form>
  );
}

/** The job history. */
export function JobsPage(props: {
  ui: UiState;
  jobs: JobView[];
  filters: JobFilters;
  scripts: string[];
  filtered: boolean;
  error?: string;
  first?: string;
  next?: string;
}) {
  return (
    <Page ui={props.ui} title="Jobs" nav="jobs">
      <PageHead title="Jobs" />
      <Filters f={props.filters} scripts={props.scripts} />
      {props.error && <Notice kind="error">{props.error}</Notice>}
      {props.jobs.length === 0
        ? (
          props.filtered ? <p class="muted">No job matches these filters.</p> : (
            <EmptyState
              icon="jobs"
              title="No jobs yet"
              action={
                <LinkButton href="/scripts" variant="primary" icon="play">Run a script</LinkButton>
              }
            >
              A job is one run of a script: start one with Run now on a script's page, with{" "}
              <code>aft start</code>, or from a schedule.
            </EmptyState>
          )
        )
        : (
          <Table
            caption="Jobs, newest first"
            captionHidden
            columns={[
              "Script",
              "Status",
              "Trigger",
              "Created",
              "Duration",
              { label: "Bytes", numeric: true },
            ]}
          >
            {props.jobs.map((j) => (
              <tr>
                <td>
                  <a href={`/jobs/${j.id}`}>{j.scriptName}</a>
                </td>
                <td>
                  <StatusBadge status={j.status} />
                </td>
                <td>{j.trigger}</td>
                <td>
                  <Time iso={j.createdAt} />
                </td>
                <td>{jobDuration(j)}</td>
                <td class="num">{formatBytes(j.bytesTransferred)}</td>
              </tr>
            ))}
          </Table>
        )}
      <Pager label="Pages of jobs" first={props.first} next={props.next} />
    </Page>
  );
}

/** One job: facts, parameters, its live log, and what can be done with it. */
export function JobPage(
  props: { ui: UiState; job: JobView; error?: string; logStart?: number },
) {
  const j = props.job;
  const finished = j.finishedAt !== null;
  const params = Object.entries(j.params);
  return (
    <Page ui={props.ui} title={`Job ${j.scriptName}`} nav="jobs">
      <Breadcrumbs
        label="Job"
        parts={[{ label: "Jobs", href: "/jobs" }, { label: j.scriptName }]}
      />
      <PageHead
        title={j.scriptName}
        actions={
          <>
            {!finished && (
              <span data-job-live="">
                <ConfirmForm
                  action={`/jobs/${j.id}/halt`}
                  message={`Halt the job "${j.scriptName}"? The script gets the halt signal and its grace period.`}
                  label="Halt"
                />
              </span>
            )}
            <Form action={`/jobs/${j.id}/rerun`} id="rerun-form">
              <Button type="submit" icon="play">Run again</Button>
            </Form>
            <LinkButton href={`/jobs/${j.id}/log.txt`} icon="download">Download log</LinkButton>
          </>
        }
      />
      {props.error && <Notice kind="error">{props.error}</Notice>}
      <div data-job={j.id}>
        <div data-job-error="">
          {j.error && (
            <Notice kind={j.status === "halted" ? "warning" : "error"}>
              <span data-job-field="error">{j.error}</span>
            </Notice>
          )}
        </div>
        <Facts
          id="job-facts"
          items={[
            [
              "Status",
              <span key="status" data-job-field="status">
                <StatusBadge status={j.status} />
              </span>,
            ],
            [
              "Exit code",
              <span key="exitCode" data-job-field="exitCode">{j.exitCode ?? "—"}</span>,
            ],
            ["Trigger", j.trigger],
            ["Created", <Time key="created" iso={j.createdAt} />],
            [
              "Started",
              <span key="startedAt" data-job-field="startedAt">
                <Time iso={j.startedAt} />
              </span>,
            ],
            [
              "Finished",
              <span key="finishedAt" data-job-field="finishedAt">
                <Time iso={j.finishedAt} />
              </span>,
            ],
            ["Duration", <span key="duration" data-job-field="duration">{jobDuration(j)}</span>],
            [
              "Bytes moved",
              <span key="bytes" data-job-field="bytes">{formatBytes(j.bytesTransferred)}</span>,
            ],
            ["Node", j.node ?? "—"],
            [
              "Script",
              j.scriptId
                ? <a key="script" href={`/scripts/${j.scriptId}`}>{j.scriptName}</a>
                : <code key="script">{j.filePath}</code>,
            ],
            ["Job ID", <code key="id">{j.id}</code>],
          ]}
        />
      </div>
      <Card title="Parameters">
        {params.length === 0
          ? <p class="muted">None.</p>
          : (
            <Table caption="Parameters" captionHidden columns={["Name", "Value"]}>
              {params.map(([k, v]) => (
                <tr>
                  <td>
                    <code>{k}</code>
                  </td>
                  <td>
                    <code class="wrap">{v}</code>
                  </td>
                </tr>
              ))}
            </Table>
          )}
      </Card>
      <Card title="Log">
        <LiveLog
          src={`/jobs/${j.id}/events`}
          label={`Log of job ${j.scriptName}`}
          id="job-log"
          download={`/jobs/${j.id}/log.txt`}
          startAfter={props.logStart}
        />
      </Card>
    </Page>
  );
}
