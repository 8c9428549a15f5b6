/**
 * Forms and their fields: every control has a label, hints and errors are tied to it with
 * `aria-describedby`, and forms that change state carry the page's CSRF token. A form marked
 * `guard` warns before the page is left with unsaved edits (client module `unsaved.ts`); a
 * `ConfirmForm` asks in a dialog before it submits (client module `confirm.ts`).
 *
 * @example
 * ```tsx
 * <Form action="/secrets" guard>
 *   <Field label="Name" name="name" required hint="Case-sensitive" />
 *   <Button type="submit" variant="primary">Save</Button>
 * </Form>
 * <ConfirmForm action="/secrets/x/delete" message='Delete the secret "x"?' label="Delete" />
 * ```
 * @module
 */

import type { Child } from "hono/jsx";
import { Button } from "./components.tsx";
import { useUi } from "./context.ts";

/** The hidden CSRF field, when the page has a token. */
export function CsrfField() {
  const token = useUi().csrfToken;
  return token ? <input type="hidden" name="_csrf" value={token} /> : null;
}

/** A POST form (with the CSRF field); `guard` warns before leaving with unsaved edits. */
export function Form(props: {
  action: string;
  children?: Child;
  guard?: boolean;
  id?: string;
  method?: "post" | "get";
  /** For uploads. */
  multipart?: boolean;
}) {
  const method = props.method ?? "post";
  return (
    <form
      method={method}
      action={props.action}
      id={props.id}
      enctype={props.multipart ? "multipart/form-data" : undefined}
      data-unsaved-guard={props.guard ? "" : undefined}
    >
      {method === "post" && <CsrfField />}
      {props.children}
    </form>
  );
}

/** A one-button form for a destructive action, confirmed in a dialog before it is sent. */
export function ConfirmForm(props: {
  action: string;
  /** The question: 'Delete the script "Nightly"?'. */
  message: string;
  /** The button's text, and the dialog's confirming button's. */
  label: string;
  /** A hidden field to send along. */
  hidden?: Record<string, string>;
  /** What the button acts on, for screen readers in a table of many ("Delete" what). */
  subject?: string;
}) {
  return (
    <form
      method="post"
      action={props.action}
      class="inline-form"
      data-confirm={props.message}
      data-confirm-label={props.label}
    >
      <CsrfField />
      {Object.entries(props.hidden ?? {}).map(([k, v]) => (
        <input
          type="hidden"
          name={k}
          value={v}
        />
      ))}
      <Button type="submit" variant="danger" icon="trash">
        {props.label}
        {props.subject && <span class="visually-hidden">{` ${props.subject}`}</span>}
      </Button>
    </form>
  );
}

/** Props every field shares. */
interface FieldBase {
  label: string;
  name: string;
  /** Defaults to `f-NAME`. */
  id?: string;
  hint?: Child;
  error?: string;
  required?: boolean;
}

function describedBy(id: string, p: FieldBase): string | undefined {
  const ids = [p.hint ? `${id}-hint` : "", p.error ? `${id}-error` : ""].filter(Boolean);
  return ids.length ? ids.join(" ") : undefined;
}

function FieldFrame(props: FieldBase & { id: string; children: Child }) {
  return (
    <div class="field">
      <label for={props.id}>{props.label}</label>
      {props.hint && <span class="hint" id={`${props.id}-hint`}>{props.hint}</span>}
      {props.children}
      {props.error && <span class="error" id={`${props.id}-error`}>{props.error}</span>}
    </div>
  );
}

const fieldId = (p: FieldBase) => p.id ?? `f-${p.name.replace(/[^\w-]/g, "_")}`;

/** A labelled single-line input. */
export function Field(
  props: FieldBase & {
    type?: "text" | "password" | "number" | "email" | "search" | "url" | "datetime-local";
    value?: string | number;
    placeholder?: string;
    autocomplete?: string;
    min?: number;
    max?: number;
    pattern?: string;
  },
) {
  const id = fieldId(props);
  return (
    <FieldFrame {...props} id={id}>
      <input
        id={id}
        name={props.name}
        type={props.type ?? "text"}
        value={props.value === undefined ? undefined : String(props.value)}
        placeholder={props.placeholder}
        autocomplete={props.autocomplete}
        required={props.required}
        min={props.min}
        max={props.max}
        pattern={props.pattern}
        aria-describedby={describedBy(id, props)}
        aria-invalid={props.error ? "true" : undefined}
      />
    </FieldFrame>
  );
}

/** A labelled multi-line input. */
export function TextAreaField(props: FieldBase & { value?: string; rows?: number }) {
  const id = fieldId(props);
  return (
    <FieldFrame {...props} id={id}>
      <textarea
        id={id}
        name={props.name}
        rows={props.rows ?? 4}
        required={props.required}
        aria-describedby={describedBy(id, props)}
        aria-invalid={props.error ? "true" : undefined}
      >
        {/* A newline right after <textarea> is dropped by the parser: the value's own stays. */}
        {"\n" + (props.value ?? "")}
      </textarea>
    </FieldFrame>
  );
}

/** A labelled choice from a list. */
export function SelectField(
  props: FieldBase & {
    options: { value: string; label: string }[];
    value?: string;
  },
) {
  const id = fieldId(props);
  return (
    <FieldFrame {...props} id={id}>
      <select
        id={id}
        name={props.name}
        required={props.required}
        aria-describedby={describedBy(id, props)}
        aria-invalid={props.error ? "true" : undefined}
      >
        {props.options.map((o) => (
          <option value={o.value} selected={o.value === props.value}>{o.label}</option>
        ))}
      </select>
    </FieldFrame>
  );
}

/** A labelled checkbox (sends "on" when checked). */
export function CheckboxField(props: FieldBase & { checked?: boolean }) {
  const id = fieldId(props);
  return (
    <div class="check">
      <input
        type="checkbox"
        id={id}
        name={props.name}
        checked={props.checked}
        aria-describedby={describedBy(id, props)}
      />
      <div>
        <label for={id}>{props.label}</label>
        {props.hint && <div class="hint muted" id={`${id}-hint`}>{props.hint}</div>}
      </div>
    </div>
  );
}

/**
 * The script editor: a plain labelled textarea that the editor module (`editor.js`, loaded by
 * pages that list it) turns into a code editor with completion, hover docs and syntax marks.
 * Without script, the textarea still edits and submits the source.
 */
export function ScriptEditorField(props: FieldBase & { value?: string }) {
  const id = fieldId(props);
  return (
    <div class="field editor-field">
      <label for={id} id={`${id}-label`}>{props.label}</label>
      {props.hint && <span class="hint" id={`${id}-hint`}>{props.hint}</span>}
      <textarea
        id={id}
        name={props.name}
        rows={16}
        spellcheck={false}
        class="code"
        data-editor=""
        data-script-api={useUi().assets.url("script-api.json")}
        aria-describedby={describedBy(id, props)}
      >
        {/* A newline right after <textarea> is dropped by the parser: the value's own stays. */}
        {"\n" + (props.value ?? "")}
      </textarea>
      <p class="editor-status" id={`${id}-status`} aria-live="polite"></p>
    </div>
  );
}
