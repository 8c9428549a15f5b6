/**
 * The console's building blocks, rendered on the server with Hono's JSX. They carry no style
 * attribute (the Content-Security-Policy forbids inline styles) and no script: behaviour comes
 * from the client modules, found through `data-*` attributes.
 *
 * @example
 * ```tsx
 * <EmptyState icon="scripts" title="No scripts yet" action={<LinkButton href="/scripts/new">New script</LinkButton>}>
 *   Write your first script, or add one with <code>aft script add</code>.
 * </EmptyState>
 * ```
 * @module
 */

import type { Child } from "hono/jsx";
import { useUi } from "./context.ts";
import type { IconName } from "./icons.ts";

export { formatBytes } from "./client/format.ts";

/** An icon from the sprite; decorative unless it has a `label`. */
export function Icon(props: { name: IconName; label?: string }) {
  const href = `${useUi().assets.url("icons.svg")}#i-${props.name}`;
  return props.label
    ? (
      <svg class="icon" role="img" aria-label={props.label}>
        <use href={href} />
      </svg>
    )
    : (
      <svg class="icon" aria-hidden="true">
        <use href={href} />
      </svg>
    );
}

/** How a button looks. */
export type ButtonVariant = "default" | "primary" | "danger" | "link";

const buttonClass = (v: ButtonVariant = "default") => v === "default" ? "button" : `button ${v}`;

/** A button; `type` defaults to "button" so it never submits by accident. */
export function Button(props: {
  children?: Child;
  type?: "button" | "submit" | "reset";
  variant?: ButtonVariant;
  icon?: IconName;
  name?: string;
  value?: string;
  disabled?: boolean;
  id?: string;
  /** Extra data attributes for client modules, e.g. `{ "data-copy": "#key" }`. */
  data?: Record<string, string>;
}) {
  return (
    <button
      type={props.type ?? "button"}
      class={buttonClass(props.variant)}
      name={props.name}
      value={props.value}
      disabled={props.disabled}
      id={props.id}
      {...props.data}
    >
      {props.icon && <Icon name={props.icon} />}
      {props.children}
    </button>
  );
}

/** A link that looks like a button. */
export function LinkButton(
  props: { href: string; children?: Child; variant?: ButtonVariant; icon?: IconName },
) {
  return (
    <a class={buttonClass(props.variant)} href={props.href}>
      {props.icon && <Icon name={props.icon} />}
      {props.children}
    </a>
  );
}

/** The page's title row with its actions on the right. */
export function PageHead(props: { title: string; actions?: Child; children?: Child }) {
  return (
    <div class="page-head">
      <h1>{props.title}</h1>
      {props.actions && <div class="actions">{props.actions}</div>}
      {props.children}
    </div>
  );
}

/** A bordered section with an optional heading. */
export function Card(props: { title?: string; children?: Child; id?: string }) {
  return (
    <section class="card" id={props.id}>
      {props.title && <h2>{props.title}</h2>}
      {props.children}
    </section>
  );
}

/** What a list shows when it has nothing: what it is, and what to do first. */
export function EmptyState(
  props: { icon: IconName; title: string; children?: Child; action?: Child },
) {
  return (
    <div class="empty">
      <Icon name={props.icon} />
      <h2>{props.title}</h2>
      {props.children && <p>{props.children}</p>}
      {props.action}
    </div>
  );
}

/** A message box; errors are announced at once (`role="alert"`), others politely. */
export function Notice(
  props: { kind: "info" | "success" | "warning" | "error"; children?: Child },
) {
  const icon: IconName = props.kind === "success"
    ? "check"
    : props.kind === "info"
    ? "info"
    : "alert";
  return (
    <div class={`notice ${props.kind}`} role={props.kind === "error" ? "alert" : "status"}>
      <Icon name={icon} />
      <p>{props.children}</p>
    </div>
  );
}

/** The UTC text a time shows before the browser writes it in its own time zone. */
export function utcText(iso: string): string {
  const d = new Date(iso);
  if (Number.isNaN(d.getTime())) return iso;
  return `${d.toISOString().slice(0, 16).replace("T", " ")} UTC`;
}

/**
 * A point in time. The server writes UTC; the client module `time.ts` rewrites it in the
 * browser's time zone (`format`: date and time, date, or time only).
 */
export function Time(
  props: { iso: string | null | undefined; format?: "datetime" | "date" | "time" | "hour" },
) {
  if (!props.iso) return <span class="muted">—</span>;
  return (
    <time datetime={props.iso} data-format={props.format ?? "datetime"}>
      {utcText(props.iso)}
    </time>
  );
}

/** A job status as a coloured label. */
export function StatusBadge(props: { status: string }) {
  return <span class={`badge ${props.status}`}>{props.status}</span>;
}

/** A data table with a caption (visible or for screen readers only) and column heads. */
export function Table(props: {
  caption: string;
  captionHidden?: boolean;
  columns: (string | { label: string; numeric?: boolean })[];
  children?: Child;
}) {
  return (
    <div class="table-wrap">
      <table class="data">
        <caption class={props.captionHidden ? "visually-hidden" : undefined}>
          {props.caption}
        </caption>
        <thead>
          <tr>
            {props.columns.map((c) =>
              typeof c === "string"
                ? <th key={c} scope="col">{c}</th>
                : <th key={c.label} scope="col" class={c.numeric ? "num" : undefined}>{c.label}</th>
            )}
          </tr>
        </thead>
        <tbody>{props.children}</tbody>
      </table>
    </div>
  );
}
