/// <reference lib="dom" />
/**
 * The script editor (loaded only by pages that edit scripts): turns each
 * `textarea[data-editor]` (`ScriptEditorField` on the server) into CodeMirror 6 with JavaScript
 * highlighting, completion and hover documentation of the SyncJS globals (from the
 * `data-script-api` asset), and syntax errors marked as you type, with a status line for
 * screen readers. The textarea stays the form's field: every edit is copied into it (and
 * announced with an `input` event, for the unsaved-edits guard).
 *
 * Tab moves the focus on, as everywhere else on the page; indentation follows Enter.
 *
 * @module
 */

import {
  autocompletion,
  closeBrackets,
  closeBracketsKeymap,
  completionKeymap,
} from "@codemirror/autocomplete";
import { defaultKeymap, history, historyKeymap } from "@codemirror/commands";
import { javascript, javascriptLanguage } from "@codemirror/lang-javascript";
import { bracketMatching, indentOnInput, syntaxHighlighting } from "@codemirror/language";
import { type Diagnostic, linter, lintGutter, lintKeymap } from "@codemirror/lint";
import { EditorState, type Extension } from "@codemirror/state";
import {
  drawSelection,
  EditorView,
  highlightActiveLine,
  highlightActiveLineGutter,
  highlightSpecialChars,
  keymap,
  lineNumbers,
} from "@codemirror/view";
import { classHighlighter } from "@lezer/highlight";
import type { ScriptApi } from "../script_api.ts";
import { scriptCompletions, scriptHover } from "./editor/api_docs.ts";
import { adoptStyleModules } from "./editor/styles.ts";
import { findSyntaxError } from "./editor/syntax.ts";

async function loadApi(url: string | undefined): Promise<ScriptApi> {
  if (!url) return { globals: [], types: {} };
  try {
    const res = await fetch(url);
    if (!res.ok) throw new Error(`HTTP ${res.status}`);
    return await res.json() as ScriptApi;
  } catch (err) {
    console.warn(`aft: the script API data did not load (${(err as Error).message})`);
    return { globals: [], types: {} };
  }
}

function syntaxLinter(status: HTMLElement | null): Extension {
  return linter((view): Diagnostic[] => {
    const p = findSyntaxError(view.state.doc.toString());
    if (status) {
      status.textContent = p
        ? `Syntax error on line ${p.line}, column ${p.column}: ${p.message}`
        : "No syntax errors";
      status.classList.toggle("invalid", p !== undefined);
    }
    return p ? [{ from: p.from, to: p.to, severity: "error", message: p.message }] : [];
  }, { delay: 300 });
}

/** Replaces `textarea` with a code editor bound to it; returns the editor. */
export async function mountEditor(textarea: HTMLTextAreaElement): Promise<EditorView> {
  const api = await loadApi(textarea.dataset.scriptApi);
  const label = document.querySelector<HTMLLabelElement>(`label[for="${CSS.escape(textarea.id)}"]`);
  const status = document.getElementById(`${textarea.id}-status`);
  const host = document.createElement("div");
  host.className = "editor-host";
  textarea.after(host);
  textarea.hidden = true;

  const aria: Record<string, string> = {};
  if (label?.id) aria["aria-labelledby"] = label.id;
  const described = [textarea.getAttribute("aria-describedby"), status?.id].filter(Boolean);
  if (described.length) aria["aria-describedby"] = described.join(" ");

  const view = new EditorView({
    parent: host,
    state: EditorState.create({
      doc: textarea.value,
      extensions: [
        lineNumbers(),
        highlightActiveLineGutter(),
        highlightSpecialChars(),
        history(),
        drawSelection(),
        indentOnInput(),
        syntaxHighlighting(classHighlighter),
        bracketMatching(),
        closeBrackets(),
        autocompletion({ icons: false }),
        highlightActiveLine(),
        javascript(),
        javascriptLanguage.data.of({ autocomplete: scriptCompletions(api) }),
        scriptHover(api),
        syntaxLinter(status),
        lintGutter(),
        keymap.of([
          ...closeBracketsKeymap,
          ...defaultKeymap,
          ...historyKeymap,
          ...completionKeymap,
          ...lintKeymap,
        ]),
        EditorView.contentAttributes.of(aria),
        EditorView.updateListener.of((u) => {
          if (!u.docChanged) return;
          textarea.value = u.state.doc.toString();
          textarea.dispatchEvent(new Event("input", { bubbles: true }));
        }),
      ],
    }),
  });
  label?.addEventListener("click", (e) => {
    e.preventDefault();
    view.focus();
  });
  host.dataset.ready = "1";
  return view;
}

// CodeMirror's styles in a constructed stylesheet: the CSP allows no <style> element.
adoptStyleModules();
for (const t of document.querySelectorAll<HTMLTextAreaElement>("textarea[data-editor]")) {
  mountEditor(t);
}
