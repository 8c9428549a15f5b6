/// <reference lib="dom" />
/**
 * The live log (`LiveLog` on the server): follows the element's `data-live-log` stream and
 * appends each line (time, level, text; text as text, never as markup), scrolling along while
 * the reader is at the bottom. Lines are added in batches, at most one each 100 ms (in an
 * animation frame), and only the last `data-max-lines` stay on the page (a long job's log
 * would otherwise grow the page without end): the oldest are dropped, and the `.log-dropped`
 * note says how many, next to its link to the whole log. The status line under it says
 * whether the stream is live, reconnecting, or over (with the job's final status). The element
 * tells the page's other modules when the first line arrives (`livelog:line`, once) and when
 * the stream ended (`livelog:end`, with the end event's data as `detail`).
 *
 * @module
 */

import { follow, type FollowState } from "./live.ts";
import { localizeTime } from "./time.ts";

/** A log line as the stream sends it. */
interface Line {
  seq: number;
  ts: string;
  level: string;
  text: string;
}

const STATE_TEXT: Record<FollowState, string> = {
  connecting: "Connecting…",
  open: "Live",
  retrying: "Connection lost: reconnecting…",
  ended: "Finished",
  failed: "Cannot follow the log",
  closed: "Stopped",
};

function lineItem(l: Line): HTMLLIElement {
  const li = document.createElement("li");
  li.className = l.level;
  li.dataset.seq = String(l.seq);
  const time = document.createElement("time");
  time.dateTime = l.ts;
  time.dataset.format = "time";
  time.textContent = l.ts;
  localizeTime(time);
  const level = document.createElement("span");
  level.className = "level";
  level.textContent = l.level.toUpperCase();
  const text = document.createElement("span");
  text.className = "text";
  text.textContent = l.text;
  li.append(time, level, text);
  return li;
}

/** Shortest time between two batches of lines added to the page, in ms. */
const FLUSH_MS = 100;

/** Follows one live log element; returns its follower's `close`. */
export function wireLiveLog(root: HTMLElement): () => void {
  const box = root.querySelector<HTMLElement>(".log")!;
  const list = box.querySelector("ol")!;
  const status = root.querySelector<HTMLElement>(".live-status");
  const max = Math.max(1, Number(root.dataset.maxLines) || 5000);
  const note = root.querySelector<HTMLElement>(".log-dropped");
  /** Lines received since the last frame, as sent (only those kept are parsed). */
  let pending: string[] = [];
  let scheduled = false;
  let sawLine = false;
  let dropped = 0;
  let lastFlush = 0;
  const flush = () => {
    scheduled = false;
    lastFlush = performance.now();
    const atBottom = box.scrollHeight - box.scrollTop - box.clientHeight < 8;
    // Lines that would be dropped at once are never made.
    const skip = Math.max(0, pending.length - max);
    const frag = document.createDocumentFragment();
    for (let i = skip; i < pending.length; i++) {
      frag.append(lineItem(JSON.parse(pending[i]!) as Line));
    }
    pending = [];
    const excess = Math.max(0, list.childElementCount + frag.childElementCount - max);
    dropped += skip + excess;
    if (excess >= list.childElementCount) list.replaceChildren(frag);
    else {
      for (let i = 0; i < excess; i++) list.firstElementChild!.remove();
      list.append(frag);
    }
    if (dropped > 0 && note) {
      note.hidden = false;
      note.querySelector(".log-dropped-text")!.textContent = `${
        dropped.toLocaleString("en-US")
      } earlier line${dropped === 1 ? " is" : "s are"} not shown: this page keeps the last ${
        max.toLocaleString("en-US")
      }.`;
    }
    if (atBottom) box.scrollTop = box.scrollHeight;
  };
  const f = follow(root.dataset.liveLog!, {
    onEvent(e) {
      if (e.event === "log") {
        pending.push(e.data);
        if (!sawLine) {
          sawLine = true;
          root.dispatchEvent(new CustomEvent("livelog:line", { bubbles: true }));
        }
        if (!scheduled) {
          scheduled = true;
          // At most one batch each FLUSH_MS: lines that come faster are added together.
          const wait = Math.max(0, lastFlush + FLUSH_MS - performance.now());
          setTimeout(() => requestAnimationFrame(flush), wait);
        }
      } else if (e.event === "end") {
        // The last lines are on the page before it says the job ended.
        if (pending.length > 0) flush();
        const end = JSON.parse(e.data) as { status?: string; exitCode?: number | null };
        root.dataset.ended = end.status ?? "ended";
        root.dispatchEvent(new CustomEvent("livelog:end", { bubbles: true, detail: end }));
        if (!status) return;
        status.textContent = `Finished: ${end.status ?? "ended"}` +
          (end.exitCode === null || end.exitCode === undefined
            ? ""
            : ` (exit code ${end.exitCode})`);
      }
    },
    onState(s, detail) {
      root.dataset.state = s;
      if (status && s !== "ended") {
        status.textContent = detail && s === "failed"
          ? `${STATE_TEXT[s]}: ${detail}`
          : STATE_TEXT[s];
      }
    },
  });
  return f.close;
}
