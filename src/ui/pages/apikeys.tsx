/**
 * The API key pages: the list (prefix, scopes, allow-list, last use and last caller, revoke),
 * the form to create one, and the page that shows a new key once, with a copy button and the
 * `aft start` and `curl` lines of the seeds, ready to paste.
 *
 * @module
 */

import { type ApiKeyView, SCOPES } from "../../engine/mod.ts";
import { Button, Card, EmptyState, Notice, PageHead, Table, Time } from "../components.tsx";
import type { UiState } from "../context.ts";
import { ConfirmForm, Field, Form, TextAreaField } from "../forms.tsx";
import { Page } from "../layout.tsx";
import { FlashNotice } from "../page_parts.tsx";
import { seg } from "../urls.ts";

const SCOPE_TEXT: Record<string, string> = {
  "jobs:start": "start jobs (POST /v1/jobs, aft start)",
  "jobs:read": "read jobs and their logs",
  files: "start jobs from a script file in an allowed folder",
  admin: "change the configuration (everything under /v1/adm/)",
};

/** What the create form holds after a refusal. */
export interface KeyFormValues {
  name: string;
  allow: string;
  scopes: string[];
}

/** The API keys. */
export function ApiKeysPage(props: {
  ui: UiState;
  keys: ApiKeyView[];
  values?: KeyFormValues;
  error?: string;
  query: Record<string, string>;
}) {
  const v = props.values ??
    { name: "", allow: "127.0.0.1\n::1", scopes: ["jobs:start", "jobs:read"] };
  return (
    <Page ui={props.ui} title="API Keys" nav="apikeys">
      <PageHead title="API Keys" />
      <FlashNotice query={props.query} messages={{ revoked: "The key was revoked." }} />
      {props.keys.length === 0
        ? (
          <EmptyState icon="apikeys" title="No API keys yet">
            An API key lets{" "}
            <code>aft start</code>, CI pipelines and other programs start jobs through the REST API.
            Create the first one below.
          </EmptyState>
        )
        : (
          <Table
            caption="API keys"
            captionHidden
            columns={[
              "Name",
              "Key starts with",
              "Scopes",
              "Allowed from",
              "Last used",
              "Last caller",
              "Actions",
            ]}
          >
            {props.keys.map((k) => (
              <tr>
                <td>{k.name}</td>
                <td>
                  <code>{`${k.prefix}…`}</code>
                </td>
                <td>{k.scopes.join(", ")}</td>
                <td>
                  <code class="wrap">{k.allow.join(", ")}</code>
                </td>
                <td>
                  {k.lastUsedAt ? <Time iso={k.lastUsedAt} /> : <span class="muted">never</span>}
                </td>
                <td>
                  {k.lastCallerIp ? <code>{k.lastCallerIp}</code> : <span class="muted">—</span>}
                </td>
                <td>
                  <ConfirmForm
                    action={`/apikeys/${seg(k.id)}/revoke`}
                    message={`Revoke the API key "${k.name}"? Programs using it are refused from now on.`}
                    subject={k.name}
                    label="Revoke"
                  />
                </td>
              </tr>
            ))}
          </Table>
        )}
      <Card title="Create an API key">
        {props.error && <Notice kind="error">{props.error}</Notice>}
        <Form action="/apikeys" id="apikey-form">
          <Field label="Name" name="name" value={v.name} required hint="Who uses it, e.g. CI" />
          <TextAreaField
            label="Allowed from"
            name="allow"
            value={v.allow}
            rows={3}
            hint="Addresses and CIDR ranges (IPv4, IPv6), one per line; 127.0.0.1 is enough on this machine"
          />
          <fieldset>
            <legend>Scopes</legend>
            {SCOPES.map((s) => (
              <div class="check">
                <input
                  type="checkbox"
                  id={`scope-${s.replace(":", "-")}`}
                  name="scope"
                  value={s}
                  checked={v.scopes.includes(s)}
                />
                <div>
                  <label for={`scope-${s.replace(":", "-")}`}>
                    <code>{s}</code>
                  </label>
                  <div class="hint muted">{SCOPE_TEXT[s]}</div>
                </div>
              </div>
            ))}
          </fieldset>
          <Button type="submit" variant="primary" icon="plus">Create key</Button>
        </Form>
      </Card>
    </Page>
  );
}

/** Text to copy: a read-only field with a copy button (client module `copy.ts`). */
export function CopyField(
  props: { id: string; label: string; value: string; multiline?: boolean },
) {
  return (
    <div class="field copy-field">
      <label for={props.id}>{props.label}</label>
      <div class="copy-row">
        {props.multiline
          ? <textarea id={props.id} readonly rows={4} class="code">{"\n" + props.value}</textarea>
          : <input id={props.id} type="text" readonly value={props.value} class="code" />}
        <Button icon="copy" data={{ "data-copy": `#${props.id}` }}>
          Copy<span class="visually-hidden">{` ${props.label}`}</span>
        </Button>
      </div>
    </div>
  );
}

/** `s` quoted for a POSIX shell: in double quotes as the seeds write, unless it needs single. */
export function shellQuote(s: string): string {
  return /["$`\\!]/.test(s) ? `'${s.replace(/'/g, `'\\''`)}'` : `"${s}"`;
}

/** The shell lines that use a new key, as the seeds write them. */
export function keyLines(key: string, host: string, script: string) {
  const single = (s: string) => `'${s.replace(/'/g, `'\\''`)}'`;
  const local = host === "127.0.0.1:44399";
  return {
    start: `aft start -n ${shellQuote(script)} -a ${shellQuote(key)}${
      local ? "" : ` --host ${shellQuote(host)}`
    }`,
    curl: [
      `curl -sk -X POST https://${host}/v1/jobs \\`,
      `  -H ${shellQuote(`X-API-Key: ${key}`)} \\`,
      `  -H "Content-Type: application/json" \\`,
      `  -d ${single(JSON.stringify({ scriptName: script }))}`,
    ].join("\n"),
  };
}

/** The new key, shown this once. */
export function NewKeyPage(
  props: { ui: UiState; name: string; key: string; host: string; script: string },
) {
  const lines = keyLines(props.key, props.host, props.script);
  return (
    <Page ui={props.ui} title="API key created" nav="apikeys">
      <PageHead title="API key created" />
      <Notice kind="warning">
        {`This is the only time the key "${props.name}" is shown: copy it now. Only its hash is kept.`}
      </Notice>
      <Card>
        <CopyField id="new-key" label="API key" value={props.key} />
        <CopyField id="start-line" label="Start a job with aft start" value={lines.start} />
        <CopyField id="curl-line" label="Start a job with curl" value={lines.curl} multiline />
        <p class="muted">
          {`The lines start the script "${props.script}"; put the name of yours. `}
          <code>-sk</code> accepts the service's own certificate, as AFT!'s examples do;{" "}
          <code>aft tls trust</code> makes it trusted instead.
        </p>
        <p>
          <a href="/apikeys">Back to the API keys</a>
        </p>
      </Card>
    </Page>
  );
}
