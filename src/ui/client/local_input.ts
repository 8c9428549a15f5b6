/// <reference lib="dom" />
/**
 * Date-and-time inputs in the browser's time zone for fields the service reads in UTC: an
 * `input[type=datetime-local][data-utc-field=NAME]` shows the form's hidden field NAME (an ISO
 * time) in local time, and writes the local time typed back into it as ISO when it changes and
 * when the form is sent. Without script the service reads the visible input as UTC.
 *
 * @module
 */

/** `YYYY-MM-DDTHH:MM` of a moment in the browser's time zone. */
export function localInputValue(d: Date): string {
  const p = (n: number) => String(n).padStart(2, "0");
  return `${d.getFullYear()}-${p(d.getMonth() + 1)}-${p(d.getDate())}T${p(d.getHours())}:${
    p(d.getMinutes())
  }`;
}

/** The ISO (UTC) form of a `datetime-local` value typed in the browser's time zone; "" if none. */
export function isoOfLocal(value: string): string {
  const d = new Date(value);
  return value === "" || Number.isNaN(d.getTime()) ? "" : d.toISOString();
}

/** Wires every local date-and-time input that has a UTC field. */
export function wireLocalTimeInputs(root: Document = document): void {
  const inputs = root.querySelectorAll<HTMLInputElement>(
    "input[type=datetime-local][data-utc-field]",
  );
  for (const input of inputs) {
    const hidden = input.form?.elements.namedItem(input.dataset.utcField!);
    if (!(hidden instanceof HTMLInputElement)) continue;
    const shown = new Date(hidden.value);
    if (hidden.value !== "" && !Number.isNaN(shown.getTime())) {
      input.value = localInputValue(shown);
    }
    const sync = () => void (hidden.value = isoOfLocal(input.value));
    input.addEventListener("change", sync);
    input.form?.addEventListener("submit", sync);
  }
}
