/// <reference lib="dom" />
/**
 * A job page's facts kept current: when its live log shows the first line (the job runs) and
 * when the log ends (the job finished), the page reads the job again (`/jobs/ID/summary`) and
 * sets the `[data-job-field]` facts: status, exit code, start and end, duration, bytes and the
 * error. Once the job has finished the Halt button (`[data-job-live]`) goes away.
 *
 * @module
 */

import { durationText, formatBytes } from "./format.ts";
import { localizeTime } from "./time.ts";

/** The job as `/jobs/ID/summary` answers. */
interface Summary {
  status: string;
  exitCode?: number | null;
  startedAt: string | null;
  finishedAt: string | null;
  bytesTransferred: number;
  error?: string | null;
}

function timeOrDash(iso: string | null): Node {
  if (!iso) {
    const dash = document.createElement("span");
    dash.className = "muted";
    dash.textContent = "—";
    return dash;
  }
  const t = document.createElement("time");
  t.dateTime = iso;
  t.dataset.format = "datetime";
  t.textContent = iso;
  localizeTime(t);
  return t;
}

/** Sets the facts under `root` from `j`. */
export function showSummary(root: HTMLElement, j: Summary): void {
  const field = (name: string) =>
    root.querySelector<HTMLElement>(`[data-job-field="${CSS.escape(name)}"]`);
  const badge = document.createElement("span");
  badge.className = `badge ${j.status.replace(/[^a-z]/g, "")}`;
  badge.textContent = j.status;
  field("status")?.replaceChildren(badge);
  field("exitCode")?.replaceChildren(
    j.exitCode === null || j.exitCode === undefined ? "—" : String(j.exitCode),
  );
  field("startedAt")?.replaceChildren(timeOrDash(j.startedAt));
  field("finishedAt")?.replaceChildren(timeOrDash(j.finishedAt));
  field("duration")?.replaceChildren(
    j.startedAt
      ? durationText(
        (j.finishedAt ? Date.parse(j.finishedAt) : Date.now()) - Date.parse(j.startedAt),
      )
      : "—",
  );
  field("bytes")?.replaceChildren(formatBytes(j.bytesTransferred));
  const error = field("error");
  if (error && j.error) error.textContent = j.error;
  const errorBox = root.querySelector<HTMLElement>("[data-job-error]");
  if (!error && errorBox && j.error) {
    // The page was drawn before the job failed: the notice the server would have drawn.
    const notice = document.createElement("div");
    notice.className = `notice ${j.status === "halted" ? "warning" : "error"}`;
    notice.setAttribute("role", j.status === "halted" ? "status" : "alert");
    const p = document.createElement("p");
    const text = document.createElement("span");
    text.dataset.jobField = "error";
    text.textContent = j.error;
    p.append(text);
    notice.append(p);
    errorBox.replaceChildren(notice);
  }
  if (j.finishedAt) {
    for (const el of document.querySelectorAll<HTMLElement>("[data-job-live]")) el.remove();
  }
  root.dataset.status = j.status;
}

/** Wires the job page's facts to its live log. */
export function wireJobFacts(root: Document = document): void {
  const facts = root.querySelector<HTMLElement>("[data-job]");
  if (!facts) return;
  const id = facts.dataset.job!;
  const refresh = async () => {
    try {
      const res = await fetch(`/jobs/${encodeURIComponent(id)}/summary`, {
        headers: { Accept: "application/json" },
        credentials: "same-origin",
        cache: "no-store",
      });
      if (res.ok) showSummary(facts, await res.json());
    } catch { /* the next event tries again */ }
  };
  root.addEventListener("livelog:line", refresh);
  root.addEventListener("livelog:end", refresh);
}
