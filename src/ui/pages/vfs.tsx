/**
 * The VFS Library pages: the list (with Test connection), and the form of each backend type
 * to add or change an entry. Credentials are write-only: their fields are never filled in;
 * left empty they keep what is stored, and a box removes one.
 *
 * @module
 */

import { isCredentialOption, type VfsSummary, type VfsView } from "../../engine/mod.ts";
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
import { ConfirmForm, Field, Form, SelectField } from "../forms.tsx";
import { Page } from "../layout.tsx";
import { Breadcrumbs, FlashNotice } from "../page_parts.tsx";
import { BACKEND_FORMS, type BackendForm, type OptionField } from "../vfs_forms.ts";
import { seg } from "../urls.ts";

/** The result of a connection test, shown on the list. */
export interface TestResult {
  ok: boolean;
  message: string;
}

/** The VFS Library. */
export function VfsListPage(
  props: { ui: UiState; entries: VfsSummary[]; test?: TestResult; query: Record<string, string> },
) {
  return (
    <Page ui={props.ui} title="VFS Library" nav="vfs">
      <PageHead
        title="VFS Library"
        actions={<LinkButton href="/vfs/new" variant="primary" icon="plus">Add a VFS</LinkButton>}
      />
      <FlashNotice
        query={props.query}
        messages={{
          added: "The VFS was added: test its connection, or browse its files.",
          saved: "The VFS was saved.",
          deleted: "The VFS was removed from the library (its files were not touched).",
        }}
      />
      {props.test && (
        <Notice kind={props.test.ok ? "success" : "error"}>
          <span id="test-result">{props.test.message}</span>
        </Notice>
      )}
      {props.entries.length === 0
        ? (
          <EmptyState
            icon="vfs"
            title="The library is empty"
            action={
              <LinkButton href="/vfs/new" variant="primary" icon="plus">Add a VFS</LinkButton>
            }
          >
            A VFS is a named connection (a local folder, SFTP, FTP, S3, Azure, Cloud Storage) that
            scripts open with <code>VirtualFSByName("name")</code>. Add the first one.
          </EmptyState>
        )
        : (
          <Table
            caption="VFS Library"
            captionHidden
            columns={["Name", "Type", "Target", "Added", "Actions"]}
          >
            {props.entries.map((v) => (
              <tr>
                <td>
                  <a href={`/vfs/${seg(v.name)}/browse`}>{v.name}</a>
                </td>
                <td>{v.type}</td>
                <td>
                  <code class="wrap">{v.target}</code>
                </td>
                <td>
                  <Time iso={v.createdAt} format="date" />
                </td>
                <td class="row-actions">
                  <LinkButton href={`/vfs/${seg(v.name)}/browse`} icon="folder">
                    Browse<span class="visually-hidden">{` ${v.name}`}</span>
                  </LinkButton>
                  <LinkButton href={`/vfs/${seg(v.name)}/edit`}>
                    Edit<span class="visually-hidden">{` ${v.name}`}</span>
                  </LinkButton>
                  <Form action={`/vfs/${seg(v.name)}/test`}>
                    <Button type="submit" icon="check">
                      Test connection<span class="visually-hidden">{` ${v.name}`}</span>
                    </Button>
                  </Form>
                  <ConfirmForm
                    action={`/vfs/${seg(v.name)}/delete`}
                    message={`Remove the VFS "${v.name}" from the library? Its files stay where they are; scripts that open it by name will fail.`}
                    subject={v.name}
                    label="Remove"
                  />
                </td>
              </tr>
            ))}
          </Table>
        )}
    </Page>
  );
}

function OptionInput(
  props: { o: OptionField; value: string; isSet: boolean; secrets: string[] },
) {
  const { o } = props;
  const id = `f-opt-${o.key}`;
  const name = `opt.${o.key}`;
  if (o.kind === "secret") {
    return (
      <SelectField
        label={o.label}
        name={name}
        id={id}
        hint={o.hint}
        value={props.value}
        options={[
          { value: "", label: "(none)" },
          ...props.secrets.map((s) => ({ value: s, label: s })),
          ...(props.value && !props.secrets.includes(props.value)
            ? [{ value: props.value, label: `${props.value} (missing)` }]
            : []),
        ]}
      />
    );
  }
  if (o.kind === "choice") {
    return (
      <SelectField
        label={o.label}
        name={name}
        id={id}
        hint={o.hint}
        value={props.value}
        options={[
          { value: "", label: "(default)" },
          ...o.choices!.map((c) => ({ value: c, label: c })),
        ]}
      />
    );
  }
  if (o.kind === "flag") {
    return (
      <div class="check">
        <input type="checkbox" id={id} name={name} value="true" checked={props.value === "true"} />
        <div>
          <label for={id}>{o.label}</label>
          {o.hint && <div class="hint muted">{o.hint}</div>}
        </div>
      </div>
    );
  }
  if (isCredentialOption(o.key)) {
    // Write-only: never filled in, not even after a refused save.
    return (
      <div class="field">
        <label for={id}>{o.label}</label>
        <span class="hint" id={`${id}-hint`}>
          {props.isSet ? "Stored; leave empty to keep it. " : ""}
          {o.hint ?? "Write-only: never shown again once saved"}
        </span>
        <input
          id={id}
          type="password"
          name={name}
          autocomplete="new-password"
          aria-describedby={`${id}-hint`}
        />
        {props.isSet && (
          <span class="check inline-check">
            <input type="checkbox" id={`${id}-clear`} name={`clear.${o.key}`} value="1" />
            <label for={`${id}-clear`}>{`Remove the stored ${o.label.toLowerCase()}`}</label>
          </span>
        )}
      </div>
    );
  }
  return <Field label={o.label} name={name} id={id} hint={o.hint} value={props.value} />;
}

/** The add or edit form of a library entry. */
export function VfsFormPage(props: {
  ui: UiState;
  form: BackendForm;
  /** The stored entry (options masked) when editing. */
  entry?: VfsView;
  /** What the form shows: name, target, and the options that are not credentials. */
  values: { name: string; target: string; options: Record<string, string> };
  secrets: string[];
  error?: string;
}) {
  const { form, entry } = props;
  const title = entry ? `Edit ${entry.name}` : `Add a ${form.label} VFS`;
  return (
    <Page ui={props.ui} title={title} nav="vfs">
      <Breadcrumbs label="VFS" parts={[{ label: "VFS Library", href: "/vfs" }, { label: title }]} />
      <PageHead title={title} />
      {!entry && (
        <nav class="tabs" aria-label="Backend type">
          <ul>
            {BACKEND_FORMS.map((f) => (
              <li>
                <a
                  href={`/vfs/new?type=${f.type}`}
                  aria-current={f.type === form.type ? "page" : undefined}
                >
                  {f.label}
                </a>
              </li>
            ))}
          </ul>
        </nav>
      )}
      {props.error && <Notice kind="error">{props.error}</Notice>}
      <Card>
        <Form action={entry ? `/vfs/${seg(entry.name)}` : "/vfs"} guard id="vfs-form">
          <input type="hidden" name="type" value={form.type} />
          <Field
            label="Name"
            name="name"
            value={props.values.name}
            required
            hint='Scripts open it with VirtualFSByName("name"), in any case'
          />
          <Field
            label={form.targetLabel}
            name="target"
            value={props.values.target}
            placeholder={form.placeholder}
            required
            hint={form.hint}
          />
          {form.options.length > 0 && (
            <fieldset>
              <legend>Options</legend>
              {form.options.map((o) => (
                <OptionInput
                  o={o}
                  value={props.values.options[o.key] ?? ""}
                  isSet={entry?.options[o.key] !== undefined}
                  secrets={props.secrets}
                />
              ))}
            </fieldset>
          )}
          <Button type="submit" variant="primary" icon="check">{entry ? "Save" : "Add"}</Button>
        </Form>
      </Card>
    </Page>
  );
}
