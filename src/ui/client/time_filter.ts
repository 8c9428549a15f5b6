/// <reference lib="dom" />
/**
 * Time ranges typed in the browser's time zone: when a `form[data-local-times]` is sent, each
 * of its `input[type=datetime-local][data-iso=NAME]` adds a hidden field NAME with the same
 * moment as ISO (UTC), which the service reads. The typed text is sent too, so the form shows
 * it again; without script the service takes it as UTC.
 *
 * @module
 */

import { isoOfLocal } from "./local_input.ts";

/** Wires every such form under `root`. */
export function wireLocalTimeFilters(root: Document = document): void {
  for (const form of root.querySelectorAll<HTMLFormElement>("form[data-local-times]")) {
    form.addEventListener("submit", () => {
      for (const input of form.querySelectorAll<HTMLInputElement>("input[data-iso]")) {
        const name = input.dataset.iso!;
        let hidden = form.querySelector<HTMLInputElement>(
          `input[type=hidden][name="${CSS.escape(name)}"]`,
        );
        const iso = isoOfLocal(input.value);
        if (iso === "") {
          hidden?.remove();
          continue;
        }
        if (!hidden) {
          hidden = document.createElement("input");
          hidden.type = "hidden";
          hidden.name = name;
          form.append(hidden);
        }
        hidden.value = iso;
      }
    });
  }
}
