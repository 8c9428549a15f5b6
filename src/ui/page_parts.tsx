/**
 * Pieces several console pages share, above the foundation's components: key/value parameter
 * rows, breadcrumbs, a list of facts, a duration in words, the pager of a long list, and the
 * notice a page shows after a redirect.
 *
 * @module
 */

import type { Child } from "hono/jsx";
import { Button, Icon, LinkButton, Notice } from "./components.tsx";

export { durationText } from "./client/format.ts";

/**
 * Key/value rows for a job's parameters, sent as `paramKey` and `paramValue` in order. The
 * client module `params.ts` adds and removes rows; without it, the empty rows shown are there.
 * `params` as a list of rows shows them as they were sent (a refused form, duplicates and all).
 */
export function ParamRows(
  props: { params?: Record<string, string> | [string, string][]; id?: string; legend?: string },
) {
  const rows = Array.isArray(props.params) ? [...props.params] : Object.entries(props.params ?? {});
  rows.push(["", ""]);
  if (rows.length < 3) rows.push(["", ""]);
  return (
    <fieldset class="params" id={props.id} data-params="">
      <legend>{props.legend ?? "Parameters"}</legend>
      <p class="hint muted">
        Read in the script with <code>Param("name")</code>. Each name once; empty rows are ignored.
      </p>
      <ol class="param-rows">
        {rows.map(([k, v], i) => (
          <li class="param-row">
            <label>
              <span class="visually-hidden">{`Parameter ${i + 1} name`}</span>
              <input type="text" name="paramKey" value={k} placeholder="name" />
            </label>
            <label>
              <span class="visually-hidden">{`Parameter ${i + 1} value`}</span>
              <input type="text" name="paramValue" value={v} placeholder="value" />
            </label>
            <Button variant="link" data={{ "data-param-remove": "" }}>
              <Icon name="x" />
              <span class="visually-hidden">{`Remove parameter ${i + 1}`}</span>
            </Button>
          </li>
        ))}
      </ol>
      <Button icon="plus" data={{ "data-param-add": "" }}>Add parameter</Button>
    </fieldset>
  );
}

/** Where a page is: links up to the last part, which is the current one. */
export function Breadcrumbs(props: { label: string; parts: { label: string; href?: string }[] }) {
  return (
    <nav class="breadcrumbs" aria-label={props.label}>
      <ol>
        {props.parts.map((p, i) => (
          <li>
            {p.href && i < props.parts.length - 1
              ? <a href={p.href}>{p.label}</a>
              : (
                <span aria-current={i === props.parts.length - 1 ? "location" : undefined}>
                  {p.label}
                </span>
              )}
          </li>
        ))}
      </ol>
    </nav>
  );
}

/** Facts as a description list: label, value. */
export function Facts(props: { items: [string, Child][]; id?: string }) {
  return (
    <dl class="facts" id={props.id}>
      {props.items.map(([k, v]) => (
        <div>
          <dt>{k}</dt>
          <dd>{v}</dd>
        </div>
      ))}
    </dl>
  );
}

/** Links to the first page and the next one of a list paged by cursor. */
export function Pager(props: { first?: string; next?: string; label: string }) {
  if (!props.first && !props.next) return null;
  return (
    <nav class="pager" aria-label={props.label}>
      {props.first && <LinkButton href={props.first}>Newest</LinkButton>}
      {props.next && <LinkButton href={props.next}>Older</LinkButton>}
    </nav>
  );
}

/** A notice from the query of a redirect (`?saved`): only the keys a page knows. */
export function FlashNotice(
  props: { query: Record<string, string>; messages: Record<string, string> },
) {
  const key = Object.keys(props.messages).find((k) => props.query[k] !== undefined);
  return key ? <Notice kind="success">{props.messages[key]}</Notice> : null;
}
