/// <reference lib="dom" />
/**
 * The editor's completion and hover over the script API data (`script-api.json`, derived from
 * the typings `aft types` writes): globals anywhere, a type's members after a dot when the
 * object's type can be told (see `infer.ts`), every member otherwise. Docs are built as DOM
 * text, never as markup.
 *
 * @module
 */

import type { Completion, CompletionContext, CompletionResult } from "@codemirror/autocomplete";
import { syntaxTree } from "@codemirror/language";
import type { EditorState } from "@codemirror/state";
import { hoverTooltip, type Tooltip } from "@codemirror/view";
import type { ApiEntry, ScriptApi } from "../../script_api.ts";
import { allMembers, globalNamed, membersOf, typeBeforeDot } from "./infer.ts";

const COMPLETION_TYPE: Record<ApiEntry["kind"], string> = {
  function: "function",
  const: "constant",
  class: "class",
  method: "method",
  property: "property",
  type: "type",
};

/** Nodes inside which nothing is completed. */
const NO_COMPLETION = new Set([
  "String",
  "TemplateString",
  "LineComment",
  "BlockComment",
  "RegExp",
]);

/** The doc box of an entry: its signature and its text. */
export function docNode(entry: ApiEntry, owner?: string): HTMLElement {
  const box = document.createElement("div");
  box.className = "api-doc";
  const sig = document.createElement("code");
  sig.textContent = owner ? `${owner}.${entry.signature}` : entry.signature;
  box.append(sig);
  if (entry.doc) {
    const p = document.createElement("p");
    p.textContent = entry.doc;
    box.append(p);
  }
  return box;
}

function completion(entry: ApiEntry, owner?: string): Completion {
  const detail = entry.kind === "method" || entry.kind === "function" || entry.kind === "class"
    ? entry.signature.slice(entry.signature.indexOf("("))
    : `: ${entry.type}`;
  return {
    label: entry.name,
    type: COMPLETION_TYPE[entry.kind],
    detail: owner && entry.kind !== "function" ? `${detail}  (${owner})` : detail,
    info: () => docNode(entry, owner),
  };
}

/** The index of the "." right before `pos` (blanks allowed between), or -1. */
function dotBefore(state: EditorState, pos: number): number {
  const before = state.doc.sliceString(Math.max(0, pos - 200), pos);
  const m = /\.\s*$/.exec(before);
  return m ? pos - m[0].length : -1;
}

/** Completion of script globals and members. */
export function scriptCompletions(api: ScriptApi) {
  const globals = api.globals.map((g) => completion(g));
  return (ctx: CompletionContext): CompletionResult | null => {
    const word = ctx.matchBefore(/[\w$]*/);
    if (!word) return null;
    if (NO_COMPLETION.has(syntaxTree(ctx.state).resolveInner(ctx.pos, -1).name)) return null;
    const dot = dotBefore(ctx.state, word.from);
    if (dot >= 0) {
      const type = typeBeforeDot(api, ctx.state.doc.toString(), dot);
      const options = type
        ? membersOf(api, type).map((m) => completion(m, type))
        : allMembers(api).map((m) => completion(m.entry, m.owner));
      return { from: word.from, options, validFor: /^[\w$]*$/ };
    }
    if (word.from === word.to && !ctx.explicit) return null;
    return { from: word.from, options: globals, validFor: /^[\w$]*$/ };
  };
}

/** The API entry named at `pos`, with the type it is a member of. */
export function entryAt(
  api: ScriptApi,
  state: EditorState,
  pos: number,
): { entry: ApiEntry; owner?: string; from: number; to: number } | undefined {
  const line = state.doc.lineAt(pos);
  const text = line.text;
  let s = pos - line.from;
  let e = s;
  while (s > 0 && /[\w$]/.test(text[s - 1]!)) s--;
  while (e < text.length && /[\w$]/.test(text[e]!)) e++;
  if (s === e) return undefined;
  const name = text.slice(s, e);
  const from = line.from + s;
  const to = line.from + e;
  const dot = dotBefore(state, from);
  if (dot < 0) {
    const g = globalNamed(api, name);
    return g ? { entry: g, from, to } : undefined;
  }
  const type = typeBeforeDot(api, state.doc.toString(), dot);
  if (type) {
    const m = membersOf(api, type).find((x) => x.name === name);
    return m ? { entry: m, owner: type, from, to } : undefined;
  }
  const any = allMembers(api).find((x) => x.entry.name === name);
  return any ? { entry: any.entry, owner: any.owner, from, to } : undefined;
}

/** Hover documentation of script globals and members. */
export function scriptHover(api: ScriptApi) {
  return hoverTooltip((view, pos): Tooltip | null => {
    const found = entryAt(api, view.state, pos);
    if (!found) return null;
    return {
      pos: found.from,
      end: found.to,
      above: true,
      create: () => ({ dom: docNode(found.entry, found.owner) }),
    };
  });
}
