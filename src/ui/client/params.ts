/// <reference lib="dom" />
/**
 * Key/value rows of a job's parameters (`ParamRows` on the server): "Add parameter" appends an
 * empty row (a copy of the last one, emptied) and moves focus to its name; a row's remove
 * button takes it away, or empties it when it is the only one. Labels are renumbered so each
 * row's controls keep names a screen reader can tell apart.
 *
 * @module
 */

function renumber(list: HTMLOListElement): void {
  list.querySelectorAll<HTMLLIElement>("li.param-row").forEach((row, i) => {
    const [name, value, remove] = row.querySelectorAll<HTMLElement>(".visually-hidden");
    if (name) name.textContent = `Parameter ${i + 1} name`;
    if (value) value.textContent = `Parameter ${i + 1} value`;
    if (remove) remove.textContent = `Remove parameter ${i + 1}`;
  });
}

/** Wires every `[data-params]` fieldset under `root`. */
export function wireParamRows(root: Document = document): void {
  for (const set of root.querySelectorAll<HTMLElement>("[data-params]")) {
    const list = set.querySelector<HTMLOListElement>("ol.param-rows");
    if (!list) continue;
    set.addEventListener("click", (event) => {
      const target = event.target instanceof Element ? event.target : null;
      const add = target?.closest("[data-param-add]");
      const remove = target?.closest("[data-param-remove]");
      if (add) {
        event.preventDefault();
        const last = list.querySelector<HTMLLIElement>("li.param-row:last-child");
        if (!last) return;
        const row = last.cloneNode(true) as HTMLLIElement;
        row.querySelectorAll("input").forEach((i) => (i.value = ""));
        list.append(row);
        renumber(list);
        row.querySelector("input")?.focus();
      } else if (remove) {
        event.preventDefault();
        const row = remove.closest("li.param-row");
        if (!row) return;
        if (list.querySelectorAll("li.param-row").length > 1) {
          const next = row.nextElementSibling ?? row.previousElementSibling;
          row.remove();
          renumber(list);
          next?.querySelector("input")?.focus();
        } else {
          row.querySelectorAll("input").forEach((i) => (i.value = ""));
          row.querySelector("input")?.focus();
        }
      }
    });
  }
}
