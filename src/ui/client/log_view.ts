/// <reference lib="dom" />
/**
 * The live log (`LiveLog` on the server): follows the element's `data-live-log` stream and
 * appends each line (time, level, text; text as text, never as markup), scrolling along while
 * the reader is at the bottom. The status line under it says whether the stream is live,
 * reconnecting, or over (with the job's final status). The element tells the page's other
 * modules when the first line arrives (`livelog:line`, once) and when the stream ended
 * (`livelog:end`, with the end event's data as `detail`).
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

/** Follows one live log element; returns its follower's `close`. */
export function wireLiveLog(root: HTMLElement): () => void {
  const box = root.querySelector<HTMLElement>(".log")!;
  const list = box.querySelector("ol")!;
  const status = root.querySelector<HTMLElement>(".live-status");
  let pending: Line[] = [];
  let scheduled = false;
  let sawLine = false;
  const flush = () => {
    scheduled = false;
    const atBottom = box.scrollHeight - box.scrollTop - box.clientHeight < 8;
    const frag = document.createDocumentFragment();
    for (const l of pending) frag.append(lineItem(l));
    pending = [];
    list.append(frag);
    if (atBottom) box.scrollTop = box.scrollHeight;
  };
  const f = follow(root.dataset.liveLog!, {
    onEvent(e) {
      if (e.event === "log") {
        pending.push(JSON.parse(e.data) as Line);
        if (!sawLine) {
          sawLine = true;
          root.dispatchEvent(new CustomEvent("livelog:line", { bubbles: true }));
        }
        if (!scheduled) {
          scheduled = true;
          requestAnimationFrame(flush);
        }
      } else if (e.event === "end") {
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
