/**
 * The Settings page: one form per group of settings (jobs, folders, job logs, retention, mail,
 * network), each saved on its own; **Send a test mail** under the mail settings; a warning, and
 * a second confirmation, before a network change that would lock the signed-in admin out; and
 * the details of the certificate the service presents.
 *
 * @module
 */

import { type SettingKey, SETTINGS, type Settings } from "../../engine/mod.ts";
import { Button, Card, Notice, PageHead, Time } from "../components.tsx";
import type { UiState } from "../context.ts";
import { CheckboxField, Field, Form, SelectField, TextAreaField } from "../forms.tsx";
import { Page } from "../layout.tsx";
import type { TlsDetails } from "../routes/_auth_deps.ts";
import type { Message } from "./signin.tsx";

/** A group of settings, saved by one form. */
export interface SettingsSection {
  key: string;
  title: string;
  intro: string;
  fields: SettingKey[];
}

/** The groups, in page order. */
export const SECTIONS: readonly SettingsSection[] = [
  {
    key: "jobs",
    title: "Jobs",
    intro: "How jobs run on this node.",
    fields: [
      "allowCliRun",
      "maxConcurrentJobs",
      "jobTimeoutSeconds",
      "haltGraceSeconds",
      "jobMemoryMiB",
      "scriptWorkerReuse",
      "transferConcurrency",
      "nodeLeaseSeconds",
    ],
  },
  {
    key: "folders",
    title: "Folders",
    intro: "One absolute folder path a line.",
    fields: ["localRoots", "scriptRoots"],
  },
  {
    key: "logs",
    title: "Job logs",
    intro: "Limits of what a job's log keeps.",
    fields: ["logMaxLineBytes", "logMaxBytesPerJob"],
  },
  {
    key: "retention",
    title: "Retention",
    intro: "How long finished jobs and audit entries are kept.",
    fields: ["jobRetentionDays", "auditRetentionDays"],
  },
  {
    key: "mail",
    title: "Mail (SMTP)",
    intro: "The server scripts' SendMail uses.",
    fields: [
      "smtp.host",
      "smtp.port",
      "smtp.tls",
      "smtp.user",
      "smtp.passSecret",
      "smtp.from",
      "smtp.caFile",
    ],
  },
  {
    key: "network",
    title: "Network",
    intro:
      "The listen address counts from the next start of aft serve; aft reinit resets these three.",
    fields: ["listen", "corsOrigins", "sessionLifetimeMinutes"],
  },
];

/** Each setting's label. */
export const LABELS: Readonly<Record<SettingKey, string>> = {
  allowCliRun: "Allow CLI Run",
  maxConcurrentJobs: "Jobs at once",
  jobTimeoutSeconds: "Job time limit (seconds)",
  haltGraceSeconds: "Halt grace (seconds)",
  jobMemoryMiB: "Job memory (MiB)",
  scriptWorkerReuse: "Reuse a script's Worker",
  transferConcurrency: "Files copied at once",
  nodeLeaseSeconds: "Node lease (seconds)",
  localRoots: "Local roots",
  scriptRoots: "Script roots",
  logMaxLineBytes: "Longest log line (bytes)",
  logMaxBytesPerJob: "Log size per job (bytes)",
  jobRetentionDays: "Keep jobs (days)",
  auditRetentionDays: "Keep audit entries (days)",
  listen: "Listen address",
  corsOrigins: "CORS origins",
  sessionLifetimeMinutes: "Session lifetime (minutes)",
  "smtp.host": "SMTP server",
  "smtp.port": "Port",
  "smtp.tls": "Security",
  "smtp.user": "User name",
  "smtp.passSecret": "Password (a secret's name)",
  "smtp.from": "Sender address",
  "smtp.caFile": "Extra CA certificates (PEM file)",
};

const TLS_WORDS: Record<string, string> = {
  none: "None (plain text)",
  starttls: "STARTTLS (required)",
  tls: "TLS from the start",
};

/** The form's field name of a setting (dots are fine in names). */
export const fieldName = (key: SettingKey) => key;
const fieldId = (key: SettingKey) => `s-${key.replace(/\./g, "-")}`;

/** A setting's value as its form field shows it. */
export function fieldText(value: unknown): string {
  return Array.isArray(value) ? value.join("\n") : String(value ?? "");
}

function SettingField(
  props: {
    k: SettingKey;
    value: string;
    secrets: string[];
    error?: string;
  },
) {
  const spec = SETTINGS[props.k];
  const common = {
    label: LABELS[props.k],
    name: fieldName(props.k),
    id: fieldId(props.k),
    hint: spec.help,
    error: props.error,
  };
  if (spec.kind === "boolean") {
    return <CheckboxField {...common} checked={props.value === "true"} />;
  }
  if (props.k === "smtp.passSecret") {
    const names = props.value && !props.secrets.includes(props.value)
      ? [props.value, ...props.secrets]
      : props.secrets;
    return (
      <SelectField
        {...common}
        value={props.value}
        options={[
          { value: "", label: "No password" },
          ...names.map((n) => ({ value: n, label: n })),
        ]}
      />
    );
  }
  if (spec.kind === "enum") {
    return (
      <SelectField
        {...common}
        value={props.value}
        options={(spec.values ?? []).map((v) => ({ value: v, label: TLS_WORDS[v] ?? v }))}
      />
    );
  }
  if (spec.kind === "string[]") return <TextAreaField {...common} value={props.value} rows={3} />;
  return (
    <Field
      {...common}
      type={spec.kind === "integer" ? "number" : "text"}
      value={props.value}
      min={spec.min}
      max={spec.max}
    />
  );
}

/** What the page shows besides the settings. */
export interface SettingsView {
  settings: Settings;
  secrets: string[];
  tls?: TlsDetails;
  /** The section a message or form state belongs to. */
  section?: string;
  message?: Message;
  /** Values as typed into `section`'s form (kept after a refusal). */
  typed?: Record<string, string>;
  /** A network change waiting for its second confirmation, with why. */
  lockout?: { warnings: string[]; typed: Record<string, string> };
  /** The address the test mail form keeps. */
  mailTo?: string;
}

function SectionCard(props: { s: SettingsSection; view: SettingsView }) {
  const { s, view } = props;
  const mine = view.section === s.key;
  const value = (k: SettingKey) =>
    mine && view.typed && k in view.typed
      ? view.typed[k]!
      : SETTINGS[k].kind === "boolean" && mine && view.typed
      ? "false"
      : fieldText(view.settings[k]);
  return (
    <Card title={s.title} id={s.key}>
      <p class="muted">{s.intro}</p>
      {mine && view.message && !view.lockout && (
        <Notice kind={view.message.kind}>{view.message.text}</Notice>
      )}
      {s.key === "network" && view.lockout && (
        <div class="lockout">
          <Notice kind="warning">
            This change may lock you out: {view.lockout.warnings.join(" ")}
          </Notice>
          <Form action="/settings/network" id="network-confirm">
            {Object.entries(view.lockout.typed).map(([k, v]) => (
              <input type="hidden" name={k} value={v} />
            ))}
            <input type="hidden" name="confirm" value="yes" />
            <div class="actions">
              <Button type="submit" variant="danger">Save anyway</Button>
              <a href="/settings#network">Cancel</a>
            </div>
          </Form>
        </div>
      )}
      <Form action={`/settings/${s.key}`} id={`settings-${s.key}`} guard>
        {s.fields.map((k) => (
          <SettingField
            key={k}
            k={k}
            value={value(k)}
            secrets={view.secrets}
          />
        ))}
        <Button type="submit" variant="primary">{`Save ${s.title.toLowerCase()}`}</Button>
      </Form>
      {s.key === "mail" && (
        <div class="test-mail">
          <h3>Send a test mail</h3>
          {view.section === "test-mail" && view.message && (
            <Notice kind={view.message.kind}>{view.message.text}</Notice>
          )}
          <Form action="/settings/test-mail" id="test-mail">
            <Field
              label="Send to"
              name="to"
              id="f-test-mail-to"
              type="email"
              value={view.mailTo}
              autocomplete="email"
              required
              hint="Uses the settings as saved above"
            />
            <Button type="submit">Send a test mail</Button>
          </Form>
        </div>
      )}
    </Card>
  );
}

function TlsCard(props: { tls?: TlsDetails }) {
  const t = props.tls;
  return (
    <Card title="TLS certificate" id="tls">
      {!t ? <p class="muted">The service presents no certificate.</p> : (
        <dl class="facts">
          <div>
            <dt>Subject</dt>
            <dd>{t.subject}</dd>
          </div>
          <div>
            <dt>Names (SANs)</dt>
            <dd>
              <ul class="plain">
                {t.sans.map((n) => <li key={n}>{n}</li>)}
              </ul>
            </dd>
          </div>
          <div>
            <dt>Issuer</dt>
            <dd>{t.issuer}</dd>
          </div>
          <div>
            <dt>Valid from</dt>
            <dd>
              <Time iso={t.notBefore} />
            </dd>
          </div>
          <div>
            <dt>Expires</dt>
            <dd>
              <Time iso={t.notAfter} />
            </dd>
          </div>
          <div>
            <dt>SHA-256 fingerprint</dt>
            <dd>
              <code class="fingerprint">{t.fingerprint}</code>
            </dd>
          </div>
          <div>
            <dt>Source</dt>
            <dd>
              {t.source === "given"
                ? "Given to aft serve with --tls-cert"
                : "Made by aft serve under its local CA (aft tls trust adds the CA to this machine)"}
            </dd>
          </div>
        </dl>
      )}
    </Card>
  );
}

/** The Settings page. */
export function SettingsPage(props: { ui: UiState; view: SettingsView }) {
  return (
    <Page ui={props.ui} title="Settings" nav="settings">
      <PageHead title="Settings" />
      <nav class="toc" aria-label="Settings sections">
        <ul>
          {SECTIONS.map((s) => (
            <li>
              <a href={`#${s.key}`}>{s.title}</a>
            </li>
          ))}
          <li>
            <a href="#tls">TLS certificate</a>
          </li>
        </ul>
      </nav>
      {SECTIONS.map((s) => <SectionCard key={s.key} s={s} view={props.view} />)}
      <TlsCard tls={props.view.tls} />
    </Page>
  );
}
