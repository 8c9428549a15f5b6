/// <reference lib="dom" />
/**
 * "Leave with unsaved edits?": a form with `data-unsaved-guard` remembers its values when the
 * page loads; while they differ (typed, or changed by the editor), leaving the page asks the
 * browser's confirmation. Submitting the form clears the guard.
 *
 * @module
 */

/** The form's values as one comparable string (files by name and size). */
export function formState(form: HTMLFormElement): string {
  const parts: string[] = [];
  for (const [k, v] of new FormData(form)) {
    if (k === "_csrf") continue;
    parts.push(`${k}=${typeof v === "string" ? v : `${v.name}:${v.size}`}`);
  }
  return JSON.stringify(parts);
}

/** Forms with unsaved edits on this page. */
export function dirtyForms(root: Document = document): HTMLFormElement[] {
  return [...root.querySelectorAll<HTMLFormElement>("form[data-unsaved-guard]")].filter((f) =>
    f.dataset.submitting !== "1" && initial.get(f) !== undefined && initial.get(f) !== formState(f)
  );
}

const initial = new WeakMap<HTMLFormElement, string>();

/** Records each guarded form's values and warns before leaving while one has changed. */
export function wireUnsavedGuard(root: Document = document): void {
  for (const f of root.querySelectorAll<HTMLFormElement>("form[data-unsaved-guard]")) {
    initial.set(f, formState(f));
  }
  // On the window, the last stop of a submit event: a confirmation that holds the submit
  // back (confirm.ts, on the document) has already called preventDefault.
  addEventListener("submit", (e) => {
    const f = e.target;
    if (f instanceof HTMLFormElement && !e.defaultPrevented) f.dataset.submitting = "1";
  });
  addEventListener("beforeunload", (event) => {
    if (dirtyForms(root).length === 0) return;
    event.preventDefault();
    // Older browsers show the dialog only when returnValue is set.
    event.returnValue = "";
  });
}
