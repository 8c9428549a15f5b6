/**
 * The style guide: every component of the console on one page (and the editor on its own, as
 * the editor's bundle is only loaded where it is used), fed with fixed demo data. Served with
 * `createConsole({ demo: true })` (`AFT_UI_DEMO=1 aft serve`); the browser tests and the
 * screenshots walk it.
 *
 * @module
 */

import {
  Button,
  Card,
  EmptyState,
  Icon,
  LinkButton,
  Notice,
  PageHead,
  StatusBadge,
  Table,
  Time,
} from "../components.tsx";
import type { UiState } from "../context.ts";
import {
  CheckboxField,
  ConfirmForm,
  Field,
  Form,
  ScriptEditorField,
  SelectField,
  TextAreaField,
} from "../forms.tsx";
import { ICON_NAMES } from "../icons.ts";
import { Page } from "../layout.tsx";
import { BarChart, type ChartData, LiveCounters, LiveLog } from "../live.tsx";

/** 24 hours of made-up job counts and bytes (the same at every render, for screenshots). */
export function demoCharts(): { jobs: ChartData; bytes: ChartData } {
  const hours = Array.from({ length: 24 }, (_, h) => `${String(h).padStart(2, "0")}:00`);
  return {
    jobs: {
      series: ["Succeeded", "Failed"],
      unit: "count",
      points: hours.map((label, h) => ({
        label,
        values: [(h * 7) % 13 + (h > 8 && h < 18 ? 9 : 2), h % 5 === 3 ? 2 : h % 7 === 0 ? 1 : 0],
      })),
    },
    bytes: {
      series: ["Bytes moved"],
      unit: "bytes",
      points: hours.map((label, h) => ({ label, values: [((h * 37) % 23 + 1) * 97_000_000] })),
    },
  };
}

const JOBS = [
  {
    id: "j-1042",
    script: "Nightly backup",
    status: "running",
    at: "2026-03-01T22:15:00Z",
    bytes: "1.2 GiB",
  },
  {
    id: "j-1041",
    script: 'Upload <invoices> & "reports"',
    status: "succeeded",
    at: "2026-03-01T21:00:05Z",
    bytes: "48.0 MiB",
  },
  {
    id: "j-1040",
    script: "Partner SFTP pull",
    status: "failed",
    at: "2026-03-01T20:30:00Z",
    bytes: "0 B",
  },
  {
    id: "j-1039",
    script: "Watch inbox",
    status: "halted",
    at: "2026-03-01T18:02:41Z",
    bytes: "3.4 MiB",
  },
];

/** The style guide page; `notice` is what a demo form just did. */
export function StyleGuidePage(props: { ui: UiState; notice?: string }) {
  const charts = demoCharts();
  return (
    <Page ui={props.ui} title="Style guide" nav="style-guide">
      <PageHead
        title="Style guide"
        actions={
          <>
            <LinkButton href="/style-guide/editor" icon="scripts">Script editor</LinkButton>
            <Button variant="primary" icon="plus">Primary action</Button>
          </>
        }
      />
      {props.notice && <Notice kind="success">{props.notice}</Notice>}

      <Card title="Buttons and notices">
        <p class="actions-row">
          <Button>Default</Button> <Button variant="primary" icon="play">Run now</Button>{" "}
          <Button variant="danger" icon="stop">Halt</Button>{" "}
          <Button variant="link">Link-like</Button> <Button disabled>Disabled</Button>
        </p>
        <Notice kind="info">Times are shown in your browser's time zone.</Notice>
        <Notice kind="warning">Changing the listen address may lock you out.</Notice>
        <Notice kind="error">The connection test failed: authentication refused.</Notice>
      </Card>

      <Card title="Empty state">
        <EmptyState
          icon="scripts"
          title="No scripts yet"
          action={
            <LinkButton href="/style-guide/editor" variant="primary" icon="plus">
              New script
            </LinkButton>
          }
        >
          Write your first script here, or add one with <code>aft script add</code>.
        </EmptyState>
      </Card>

      <Card title="A table with times and statuses">
        <Table
          caption="Recent jobs"
          columns={["Job", "Script", "Status", "Started", { label: "Bytes", numeric: true }]}
        >
          {JOBS.map((j) => (
            <tr>
              <td>
                <code>{j.id}</code>
              </td>
              <td>{j.script}</td>
              <td>
                <StatusBadge status={j.status} />
              </td>
              <td>
                <Time iso={j.at} />
              </td>
              <td class="num">{j.bytes}</td>
            </tr>
          ))}
        </Table>
      </Card>

      <Card title="Form with an unsaved-edits guard" id="form">
        <Form action="/style-guide/saved" guard id="demo-form">
          <Field
            label="Name"
            name="name"
            required
            hint="Letters, digits, spaces, dots and dashes"
          />
          <Field label="Password" name="password" type="password" autocomplete="new-password" />
          <Field
            label="Retention (days)"
            name="days"
            type="number"
            value={90}
            min={1}
            error="Keep jobs at least one day"
          />
          <SelectField
            label="Backend"
            name="type"
            value="sftp"
            options={[{ value: "disk", label: "Local disk" }, { value: "sftp", label: "SFTP" }, {
              value: "s3",
              label: "S3",
            }]}
          />
          <TextAreaField label="Notes" name="notes" rows={3} />
          <CheckboxField
            label="Allow CLI run"
            name="allowCliRun"
            hint="Lets aft run execute script files"
          />
          <Button type="submit" variant="primary" icon="check">Save</Button>
        </Form>
      </Card>

      <Card title="Confirmation dialog" id="dialogs">
        <p>Destructive actions ask first; Escape or Cancel change nothing.</p>
        <ConfirmForm
          action="/style-guide/confirmed"
          message='Delete the script "Nightly backup"? Its schedules stop.'
          label="Delete script"
        />
      </Card>

      <Card title="Live log" id="live">
        <p class="muted">
          A test stream that drops its connection every 7 lines and sends 2 lines again after each
          reconnect: each line must show once, in order.
        </p>
        <LiveLog
          src="/style-guide/log-stream?lines=40&dropEvery=7&overlap=2"
          label="Demo job log"
          id="demo-log"
        />
      </Card>

      <Card title="Live counters">
        <LiveCounters
          src="/style-guide/counters-stream"
          label="Jobs now"
          items={[{ key: "running", label: "Running", value: 0 }, {
            key: "queued",
            label: "Queued",
            value: 0,
          }]}
        />
      </Card>

      <Card title="Charts">
        <div class="grid">
          <BarChart title="Jobs per hour (last 24 h)" data={charts.jobs} id="chart-jobs" />
          <BarChart title="Bytes moved per hour" data={charts.bytes} id="chart-bytes" />
        </div>
      </Card>

      <Card title="Icons">
        <ul class="icon-grid">
          {ICON_NAMES.map((n) => (
            <li>
              <Icon name={n} /> <code>{n}</code>
            </li>
          ))}
        </ul>
      </Card>
    </Page>
  );
}

const SAMPLE =
  `// A script in the editor: completion (type VirtualFSBy...), hover docs, syntax marks.
var src = VirtualFSByName("inbox");
var r = src.CopyToVFS("/out/*.csv", VirtualFSByName("archive"), "/2026", { overwrite: OverwriteIfNewer });
if (!r.Ok()) {
  Log.Error("copy failed: " + r.ErrorMsg());
  Exit(1);
}
Log("copied " + r.Files() + " files");
`;

/** The editor on its own page (the only page that loads `editor.js`). */
export function EditorDemoPage(props: { ui: UiState }) {
  return (
    <Page ui={props.ui} title="Script editor" nav="style-guide" scripts={["editor.js"]}>
      <PageHead
        title="Script editor"
        actions={<LinkButton href="/style-guide">Style guide</LinkButton>}
      />
      <Form action="/style-guide/saved" guard id="editor-form">
        <Field label="Script name" name="name" value="Demo script" required />
        <ScriptEditorField
          label="Source"
          name="source"
          value={SAMPLE}
          hint="Ctrl-Space completes; hover a name for its documentation. Syntax errors are marked as you type."
        />
        <Button type="submit" variant="primary" icon="check">Save</Button>
      </Form>
    </Page>
  );
}
