/// <reference lib="dom" />
/**
 * Fields made when they are first shown: a `<details data-lazy-fields>` holds its form's fields
 * in a `<template>` (and, for a browser without scripts, the same fields in a `<noscript>`),
 * which are put in place the first time the details opens. The file browser has a rename form
 * on each of its 200 rows: with a text field inside each closed `<details>`, Chromium took
 * about 1.3 s more to finish the page (a forced layout per field when parsing ended), and
 * nobody renames 200 files from one page.
 *
 * @module
 */

/** Puts the fields of `details` in place, once; focuses the first. */
export function showFields(details: HTMLDetailsElement): void {
  const template = details.querySelector<HTMLTemplateElement>("template[data-fields]");
  if (!template) return;
  const fields = template.content.cloneNode(true) as DocumentFragment;
  const first = fields.querySelector<HTMLInputElement>("input, select, textarea");
  template.replaceWith(fields);
  first?.focus();
  first?.select?.();
}

/** Wires every `details[data-lazy-fields]` under `root`. */
export function wireLazyFields(root: Document = document): void {
  for (const details of root.querySelectorAll<HTMLDetailsElement>("details[data-lazy-fields]")) {
    if (details.open) showFields(details);
    details.addEventListener("toggle", () => {
      if (details.open) showFields(details);
    });
  }
}
