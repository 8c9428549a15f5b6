/**
 * The script pages: the list with search, and the editor (create, edit, clone, delete, and
 * Run now with parameters, which opens the new job's live log).
 *
 * @module
 */

import type { ScriptMeta } from "../../engine/mod.ts";
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
import { ConfirmForm, Field, Form, ScriptEditorField } from "../forms.tsx";
import { Page } from "../layout.tsx";
import { Breadcrumbs, FlashNotice, ParamRows } from "../page_parts.tsx";

/** The list of stored scripts, filtered by `q` (part of a name, any case). */
export function ScriptsPage(
  props: { ui: UiState; scripts: ScriptMeta[]; q: string; query: Record<string, string> },
) {
  const shown = props.q
    ? props.scripts.filter((s) => s.name.toLowerCase().includes(props.q.toLowerCase()))
    : props.scripts;
  return (
    <Page ui={props.ui} title="Scripts" nav="scripts">
      <PageHead
        title="Scripts"
        actions={
          <LinkButton href="/scripts/new" variant="primary" icon="plus">New script</LinkButton>
        }
      />
      <FlashNotice query={props.query} messages={{ deleted: "The script was deleted." }} />
      {props.scripts.length === 0
        ? (
          <EmptyState
            icon="scripts"
            title="No scripts yet"
            action={
              <LinkButton href="/scripts/new" variant="primary" icon="plus">New script</LinkButton>
            }
          >
            Write your first script in the editor, or add one from a file with{" "}
            <code>aft script add NAME -f FILE</code>.
          </EmptyState>
        )
        : (
          <>
            <form method="get" action="/scripts" class="toolbar" role="search">
              <label for="script-search">Search scripts</label>
              <input
                id="script-search"
                type="search"
                name="q"
                value={props.q}
                placeholder="Part of a name"
              />
              <Button type="submit" icon="search">Search</Button>
              {props.q && <a href="/scripts">Show all</a>}
            </form>
            {shown.length === 0
              ? <p class="muted">{`No script name contains "${props.q}".`}</p>
              : (
                <Table
                  caption={props.q ? `Scripts matching "${props.q}"` : "Stored scripts"}
                  captionHidden
                  columns={["Name", "Changed", "Created"]}
                >
                  {shown.map((s) => (
                    <tr>
                      <td>
                        <a href={`/scripts/${s.id}`}>{s.name}</a>
                      </td>
                      <td>
                        <Time iso={s.updatedAt} />
                      </td>
                      <td>
                        <Time iso={s.createdAt} />
                      </td>
                    </tr>
                  ))}
                </Table>
              )}
          </>
        )}
    </Page>
  );
}

/** What the editor page shows. */
export interface ScriptEditProps {
  ui: UiState;
  /** The stored script; absent for a new one. */
  script?: { id: string; name: string };
  /** The name and source in the form (as typed, after a refused save). */
  values: { name: string; source: string };
  /** Why the save was refused. */
  error?: string;
  /** Why Run now was refused, with the parameters given. */
  run?: { error: string; params: Record<string, string> | [string, string][] };
  /** Why the deletion was refused; `inUse`: schedules run it (force offered). */
  deleteError?: { message: string; inUse: boolean };
  query?: Record<string, string>;
}

/** The editor: a new script, or a stored one with Run now, clone and delete. */
export function ScriptEditPage(props: ScriptEditProps) {
  const s = props.script;
  const title = s ? s.name : "New script";
  const action = s ? `/scripts/${s.id}` : "/scripts";
  return (
    <Page ui={props.ui} title={title} nav="scripts" scripts={["editor.js"]}>
      <Breadcrumbs
        label="Script"
        parts={[{ label: "Scripts", href: "/scripts" }, { label: title }]}
      />
      <PageHead
        title={title}
        actions={s && (
          <>
            <Form action={`/scripts/${s.id}/clone`} id="clone-form">
              <Button type="submit" icon="copy">Clone</Button>
            </Form>
            <ConfirmForm
              action={`/scripts/${s.id}/delete`}
              message={`Delete the script "${s.name}"? This cannot be undone.`}
              label="Delete"
            />
          </>
        )}
      />
      <FlashNotice
        query={props.query ?? {}}
        messages={{
          created: "The script was created.",
          saved: "The script was saved.",
          cloned: "This is the copy; the original is unchanged.",
        }}
      />
      {props.deleteError && (
        <Card title="The script was not deleted">
          <Notice kind="error">{props.deleteError.message}</Notice>
          {props.deleteError.inUse && s && (
            <ConfirmForm
              action={`/scripts/${s.id}/delete`}
              message={`Delete the script "${s.name}" and the schedules that run it?`}
              label="Delete with its schedules"
              hidden={{ force: "1" }}
            />
          )}
        </Card>
      )}
      {s && (
        <Card title="Run now" id="run">
          {props.run && <Notice kind="error">{props.run.error}</Notice>}
          <Form action={`/scripts/${s.id}/run`} id="run-form">
            <ParamRows params={props.run?.params} id="run-params" />
            <p class="muted">Runs the saved version of the script; its log opens at once.</p>
            <Button type="submit" variant="primary" icon="play">Run now</Button>
          </Form>
        </Card>
      )}
      <Card title={s ? "Edit" : "Write the script"}>
        {props.error && <Notice kind="error">{props.error}</Notice>}
        <Form action={action} guard id="script-form">
          <Field
            label="Name"
            name="name"
            value={props.values.name}
            required
            hint="Jobs start it by this name (any case): aft start -n NAME"
          />
          <ScriptEditorField
            label="Source"
            name="source"
            value={props.values.source}
            hint="SyncJS: completion with Ctrl+Space, documentation on hover; syntax errors are marked as you type"
          />
          <Button type="submit" variant="primary" icon="check">
            {s ? "Save" : "Create script"}
          </Button>
        </Form>
      </Card>
    </Page>
  );
}
