/// <reference lib="dom" />
/**
 * Writes every `<time datetime="...">` in the browser's time zone and locale: the server
 * sends UTC text (it does not know the reader's zone), this module replaces it, keeping the
 * exact UTC time as the element's title. Times added later (live updates) are written too.
 *
 * @module
 */

const FORMATS: Record<string, Intl.DateTimeFormatOptions> = {
  datetime: { dateStyle: "medium", timeStyle: "medium" },
  date: { dateStyle: "medium" },
  time: { timeStyle: "medium" },
  hour: { hour: "2-digit", minute: "2-digit" },
};

const formatters = new Map<string, Intl.DateTimeFormat>();

/** The local text of `iso` in `format` ("datetime", "date" or "time"); undefined if invalid. */
export function localTime(iso: string, format = "datetime"): string | undefined {
  const d = new Date(iso);
  if (Number.isNaN(d.getTime())) return undefined;
  let f = formatters.get(format);
  if (!f) {
    f = new Intl.DateTimeFormat(undefined, FORMATS[format] ?? FORMATS.datetime);
    formatters.set(format, f);
  }
  return f.format(d);
}

/**
 * The last time `localizeTime` wrote, by its format and its `datetime` to the second (no format
 * shows less): a live log's lines come many to a second, and formatting each one anew was a
 * quarter of the page's script time in a CPU profile of a backlog of lines.
 */
let lastWritten: { key: string; text: string; title: string } | undefined;

/** Writes one `<time>` element in local time (once). */
export function localizeTime(el: HTMLTimeElement): void {
  if (el.dataset.local === "1") return;
  const iso = el.dateTime;
  const format = el.dataset.format;
  const key = `${format} ${Math.floor(new Date(iso).getTime() / 1000)}`;
  let done = lastWritten?.key === key ? lastWritten : undefined;
  if (!done) {
    const text = localTime(iso, format);
    if (text === undefined) return;
    const title = new Date(iso).toISOString().replace("T", " ").replace(/\.\d+Z$/, " UTC");
    done = lastWritten = { key, text, title };
  }
  el.textContent = done.text;
  el.title = done.title;
  el.dataset.local = "1";
}

/** Writes every `<time datetime>` under `root`, now and as they are added. */
export function localizeTimes(root: ParentNode & Node = document.body): void {
  const all = (r: ParentNode) =>
    r.querySelectorAll<HTMLTimeElement>("time[datetime]").forEach(localizeTime);
  all(root);
  new MutationObserver((records) => {
    for (const rec of records) {
      for (const n of rec.addedNodes) {
        if (n instanceof HTMLTimeElement) localizeTime(n);
        else if (n instanceof Element) all(n);
      }
    }
  }).observe(root, { childList: true, subtree: true });
}
