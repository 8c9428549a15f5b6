/// <reference lib="dom" />
/**
 * The schedule form's live explanation: while the cron expression is typed, the
 * `[data-cron-preview=URL]` box asks `URL?cron=...` (a short pause after the last key) and
 * shows the expression in words, the service's time zone and the next run times (in the
 * browser's zone, through `time.ts`), or why the expression is refused.
 *
 * @module
 */

interface Preview {
  description: string | null;
  timeZone: string;
  next: string[];
}

/** Wires every cron preview box under `root`. */
export function wireCronPreviews(root: Document = document): void {
  for (const box of root.querySelectorAll<HTMLElement>("[data-cron-preview]")) {
    const source = root.querySelector<HTMLInputElement>(box.dataset.cronSource ?? "");
    const words = box.querySelector<HTMLElement>("[data-cron-words]");
    const zone = box.querySelector<HTMLElement>("[data-cron-zone]");
    const next = box.querySelector<HTMLOListElement>("[data-cron-next]");
    if (!source || !words || !next) continue;
    let timer: ReturnType<typeof setTimeout> | undefined;
    let asked = 0;
    const show = async () => {
      const cron = source.value.trim();
      const ask = ++asked;
      if (cron === "") {
        words.textContent = "";
        next.replaceChildren();
        return;
      }
      let body: Preview & { error?: string };
      try {
        const res = await fetch(`${box.dataset.cronPreview}?${new URLSearchParams({ cron })}`, {
          headers: { Accept: "application/json" },
          credentials: "same-origin",
        });
        body = await res.json();
      } catch {
        return; // the next key typed asks again
      }
      if (ask !== asked) return; // an answer to an older expression
      if (body.error) {
        const err = document.createElement("span");
        err.className = "error";
        err.textContent = body.error;
        words.replaceChildren(err);
        source.setAttribute("aria-invalid", "true");
        next.replaceChildren();
        return;
      }
      source.removeAttribute("aria-invalid");
      words.textContent = body.description ?? "(cannot be said in words; see the times below)";
      if (zone) zone.textContent = body.timeZone;
      next.replaceChildren(...body.next.map((iso) => {
        const li = document.createElement("li");
        const t = document.createElement("time");
        t.dateTime = iso;
        t.textContent = iso;
        li.append(t);
        return li;
      }));
      box.dataset.shown = cron;
    };
    source.addEventListener("input", () => {
      clearTimeout(timer);
      timer = setTimeout(show, 300);
    });
  }
}
