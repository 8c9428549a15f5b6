/// <reference lib="dom" />
/**
 * The dashboard's table of jobs running and queued: each `jobs` event of the table's
 * `data-live-jobs` stream redraws its rows (script name as text, status badge, trigger, since
 * when in local time), or the empty row when there is none.
 *
 * @module
 */

import { follow } from "./live.ts";
import { localizeTime } from "./time.ts";

/** A job as the stream sends it. */
interface Row {
  id: string;
  scriptName: string;
  status: string;
  trigger: string;
  since: string;
}

const cell = (...children: (Node | string)[]) => {
  const td = document.createElement("td");
  td.append(...children);
  return td;
};

function rowOf(j: Row): HTMLTableRowElement {
  const tr = document.createElement("tr");
  tr.dataset.job = j.id;
  const link = document.createElement("a");
  link.href = `/jobs/${encodeURIComponent(j.id)}`;
  link.textContent = j.scriptName;
  const badge = document.createElement("span");
  badge.className = `badge ${j.status.replace(/[^a-z]/g, "")}`;
  badge.textContent = j.status;
  const time = document.createElement("time");
  time.dateTime = j.since;
  time.dataset.format = "datetime";
  time.textContent = j.since;
  localizeTime(time);
  tr.append(cell(link), cell(badge), cell(j.trigger), cell(time));
  return tr;
}

/** Follows one live jobs table; returns its follower's `close`. */
export function wireJobTable(table: HTMLTableElement): () => void {
  const body = table.tBodies[0];
  const f = follow(table.dataset.liveJobs!, {
    onEvent(e) {
      if (e.event !== "jobs" || !body) return;
      const rows = JSON.parse(e.data) as Row[];
      if (rows.length === 0) {
        const tr = document.createElement("tr");
        tr.className = "empty-row";
        const td = cell("No job is running or queued.");
        td.colSpan = 4;
        tr.append(td);
        body.replaceChildren(tr);
      } else body.replaceChildren(...rows.map(rowOf));
    },
    onState(s) {
      table.dataset.state = s;
    },
  });
  return f.close;
}
