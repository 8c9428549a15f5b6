/**
 * The secrets page: names and dates only. A value is typed in a password field, sent once, and
 * never comes back to the browser: not in a list, not in a field after a refused save.
 *
 * @module
 */

import type { SecretView } from "../../engine/mod.ts";
import { Button, Card, EmptyState, Notice, PageHead, Table, Time } from "../components.tsx";
import type { UiState } from "../context.ts";
import { ConfirmForm, Field, Form } from "../forms.tsx";
import { Page } from "../layout.tsx";
import { FlashNotice } from "../page_parts.tsx";
import { seg } from "../urls.ts";

/** A write-only value field: never filled in. */
function ValueField(props: { id: string; label: string }) {
  return (
    <div class="field">
      <label for={props.id}>{props.label}</label>
      <span class="hint" id={`${props.id}-hint`}>
        Write-only: it is stored encrypted and never shown again
      </span>
      <input
        id={props.id}
        type="password"
        name="value"
        required
        autocomplete="new-password"
        aria-describedby={`${props.id}-hint`}
      />
    </div>
  );
}

/** The secrets. */
export function SecretsPage(props: {
  ui: UiState;
  secrets: SecretView[];
  /** The name typed when a save was refused (the value is never kept). */
  name?: string;
  error?: string;
  query: Record<string, string>;
}) {
  return (
    <Page ui={props.ui} title="Secrets" nav="secrets">
      <PageHead title="Secrets" />
      <FlashNotice
        query={props.query}
        messages={{ set: "The secret was stored.", deleted: "The secret was deleted." }}
      />
      <Card title="Set a secret">
        <p class="muted">
          Scripts read a secret with <code>GetSecret("name")</code>; VFS options ending in{" "}
          <code>Secret</code> name one. Setting an existing name replaces its value.
        </p>
        {props.error && <Notice kind="error">{props.error}</Notice>}
        <Form action="/secrets" id="secret-form">
          <Field label="Name" name="name" value={props.name ?? ""} required hint="Case-sensitive" />
          <ValueField id="f-value" label="Value" />
          <Button type="submit" variant="primary" icon="check">Store secret</Button>
        </Form>
      </Card>
      {props.secrets.length === 0
        ? (
          <EmptyState icon="secrets" title="No secrets yet">
            Store passwords and tokens here instead of in scripts: set the first one above.
          </EmptyState>
        )
        : (
          <Table caption="Secrets (names only)" columns={["Name", "Changed", "Created", "Actions"]}>
            {props.secrets.map((s, i) => (
              <tr>
                <td>
                  <code>{s.name}</code>
                </td>
                <td>
                  <Time iso={s.updatedAt} />
                </td>
                <td>
                  <Time iso={s.createdAt} />
                </td>
                <td class="row-actions">
                  <details class="rename">
                    <summary class="button">
                      Replace<span class="visually-hidden">{` the value of ${s.name}`}</span>
                    </summary>
                    <Form action="/secrets">
                      <input type="hidden" name="name" value={s.name} />
                      <ValueField id={`f-value-${i}`} label={`New value of "${s.name}"`} />
                      <Button type="submit" variant="primary">Replace</Button>
                    </Form>
                  </details>
                  <ConfirmForm
                    action={`/secrets/${seg(s.name)}/delete`}
                    message={`Delete the secret "${s.name}"? Scripts and VFS entries that use it will fail.`}
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
