/**
 * The schedule pages: the list (expression in words, next and last run, enable, disable, run
 * now, delete) and the form, where the cron expression is explained in words with its next
 * five run times as the scheduler computes them (in the service's time zone, shown in the
 * browser's), updated as it is typed (client module `cron_preview.ts`).
 *
 * @module
 */

import type { CronPreview, ScheduleRecord } from "../../engine/mod.ts";
import {
  Button,
  Card,
  EmptyState,
  LinkButton,
  Notice,
  PageHead,
  Table,
  Time,
} from "../components.tsx";
import type { UiState } from "../context.ts";
import { CheckboxField, ConfirmForm, Field, Form, SelectField } from "../forms.tsx";
import { Page } from "../layout.tsx";
import { Breadcrumbs, FlashNotice, ParamRows } from "../page_parts.tsx";

/** The schedules. */
export function SchedulesPage(props: {
  ui: UiState;
  schedules: (ScheduleRecord & { words: string | null })[];
  hasScripts: boolean;
  error?: string;
  query: Record<string, string>;
}) {
  return (
    <Page ui={props.ui} title="Schedules" nav="schedules">
      <PageHead
        title="Schedules"
        actions={props.hasScripts &&
          <LinkButton href="/schedules/new" variant="primary" icon="plus">New schedule</LinkButton>}
      />
      <FlashNotice
        query={props.query}
        messages={{
          saved: "The schedule was saved.",
          deleted: "The schedule was deleted.",
          enabled: "The schedule is enabled: it runs at its next time.",
          disabled: "The schedule is disabled: it does not run until enabled again.",
        }}
      />
      {props.error && <Notice kind="error">{props.error}</Notice>}
      {props.schedules.length === 0
        ? (
          <EmptyState
            icon="schedules"
            title="No schedules yet"
            action={props.hasScripts
              ? (
                <LinkButton href="/schedules/new" variant="primary" icon="plus">
                  New schedule
                </LinkButton>
              )
              : (
                <LinkButton href="/scripts/new" variant="primary" icon="plus">
                  New script
                </LinkButton>
              )}
          >
            {props.hasScripts
              ? "A schedule runs a stored script at the times of a cron expression, while aft serve runs."
              : "A schedule runs a stored script: write a script first."}
          </EmptyState>
        )
        : (
          <Table
            caption="Schedules"
            captionHidden
            columns={["Name", "Script", "When", "Next run", "Last run", "State", "Actions"]}
          >
            {props.schedules.map((s) => (
              <tr>
                <td>
                  <a href={`/schedules/${s.id}`}>{s.name}</a>
                </td>
                <td>{s.script}</td>
                <td>
                  <code>{s.cron}</code>
                  {s.words && <div class="muted">{s.words}</div>}
                </td>
                <td>{s.enabled ? <Time iso={s.nextRunAt} /> : <span class="muted">—</span>}</td>
                <td>
                  {s.lastJobId
                    ? (
                      <a href={`/jobs/${s.lastJobId}`}>
                        <Time iso={s.lastRunAt} />
                      </a>
                    )
                    : <Time iso={s.lastRunAt} />}
                </td>
                <td>
                  <span class={`badge ${s.enabled ? "succeeded" : "halted"}`}>
                    {s.enabled ? "enabled" : "disabled"}
                  </span>
                </td>
                <td class="row-actions">
                  <Form action={`/schedules/${s.id}/${s.enabled ? "disable" : "enable"}`}>
                    <Button type="submit">
                      {s.enabled ? "Disable" : "Enable"}
                      <span class="visually-hidden">{` ${s.name}`}</span>
                    </Button>
                  </Form>
                  <Form action={`/schedules/${s.id}/run`}>
                    <Button type="submit" icon="play">
                      Run now<span class="visually-hidden">{` ${s.name}`}</span>
                    </Button>
                  </Form>
                  <ConfirmForm
                    action={`/schedules/${s.id}/delete`}
                    message={`Delete the schedule "${s.name}"? Its script stays.`}
                    subject={s.name}
                    label="Delete"
                  />
                </td>
              </tr>
            ))}
          </Table>
        )}
    </Page>
  );
}

/** The explanation of an expression: words, time zone, next runs. */
export function CronExplained(props: { preview?: CronPreview; error?: string }) {
  const p = props.preview;
  return (
    <div
      class="cron-preview"
      id="cron-preview"
      aria-live="polite"
      data-cron-preview="/schedules/preview"
      data-cron-source="#f-cron"
    >
      <p class="cron-words" data-cron-words="">
        {props.error
          ? <span class="error">{props.error}</span>
          : p?.description ?? (p ? "(cannot be said in words; see the times below)" : "")}
      </p>
      <p class="muted">
        Read in the service's time zone,{" "}
        <span data-cron-zone="">{p?.timeZone ?? ""}</span>; times below are in yours.
      </p>
      <ol class="cron-next" data-cron-next="">
        {(p?.next ?? []).map((t) => (
          <li>
            <Time iso={t} />
          </li>
        ))}
      </ol>
    </div>
  );
}

/** What the schedule form holds. */
export interface ScheduleValues {
  name: string;
  script: string;
  cron: string;
  params: Record<string, string>;
  /** The parameter rows as sent, shown again when they were refused. */
  rows?: [string, string][];
  enabled: boolean;
}

/** The form of a new or stored schedule. */
export function ScheduleFormPage(props: {
  ui: UiState;
  schedule?: ScheduleRecord;
  values: ScheduleValues;
  scripts: string[];
  preview?: CronPreview;
  cronError?: string;
  error?: string;
  query?: Record<string, string>;
}) {
  const s = props.schedule;
  const title = s ? s.name : "New schedule";
  const v = props.values;
  const scripts = v.script && !props.scripts.some((n) => n.toLowerCase() === v.script.toLowerCase())
    ? [...props.scripts, v.script]
    : props.scripts;
  return (
    <Page ui={props.ui} title={title} nav="schedules">
      <Breadcrumbs
        label="Schedule"
        parts={[{ label: "Schedules", href: "/schedules" }, { label: title }]}
      />
      <PageHead
        title={title}
        actions={s && (
          <Form action={`/schedules/${s.id}/run`}>
            <Button type="submit" icon="play">Run now</Button>
          </Form>
        )}
      />
      <FlashNotice query={props.query ?? {}} messages={{ saved: "The schedule was saved." }} />
      {props.error && <Notice kind="error">{props.error}</Notice>}
      <Card>
        <Form action={s ? `/schedules/${s.id}` : "/schedules"} guard id="schedule-form">
          <Field label="Name" name="name" value={v.name} required />
          <SelectField
            label="Script"
            name="script"
            value={scripts.find((n) => n.toLowerCase() === v.script.toLowerCase()) ?? ""}
            options={scripts.map((n) => ({ value: n, label: n }))}
            required
          />
          <Field
            label="Cron expression"
            name="cron"
            id="f-cron"
            value={v.cron}
            required
            error={props.cronError}
            hint="minute hour day-of-month month day-of-week (an optional seconds field first); e.g. 30 2 * * * or @daily"
          />
          <CronExplained preview={props.preview} error={props.cronError} />
          <ParamRows params={v.rows ?? v.params} id="schedule-params" />
          <CheckboxField
            label="Enabled"
            name="enabled"
            checked={v.enabled}
            hint="A disabled schedule does not run until enabled again"
          />
          <Button type="submit" variant="primary" icon="check">
            {s ? "Save" : "Create schedule"}
          </Button>
        </Form>
      </Card>
    </Page>
  );
}
