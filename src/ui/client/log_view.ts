/// <reference lib="dom" />
/**
 * The live log (`LiveLog` on the server): follows the element's `data-live-log` stream and
 * appends each line (time, level, text; text as text, never as markup), scrolling along while
 * the reader is at the bottom. Lines are added in batches, at most one each 100 ms (in an
 * animation frame), and only the last `data-max-lines` stay on the page (a long job's log
 * would otherwise grow the page without end): the oldest are dropped, and the `.log-dropped`
 * note says how many, next to its link to the whole log. The lines are in lists of
 * `PART_LINES` under the `.log` box, so that only those in view are laid out. The status line
 * under it says whether the stream is live, reconnecting, or over (with the job's final
 * status). The element tells the page's other modules when the first line arrives
 * (`livelog:line`, once) and when the stream ended (`livelog:end`, with the end event's data
 * as `detail`).
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

/**
 * Lines in one `<ol>` of the log. The page's lines are split into lists of this many, and the
 * lists out of view are neither styled nor laid out (`content-visibility: auto`, live.css):
 * one list of 5,000 lines took Chromium 0.4 to 1.2 s to lay out again on each batch here, the
 * page frozen meanwhile; in parts, 6 to 10 ms.
 */
const PART_LINES = 250;

/**
 * Most lines made in one frame: a backlog bigger than that is shown over several frames, the
 * page answering between them.
 */
const FRAME_LINES = 1000;

/** Follows one live log element; returns its follower's `close`. */
export function wireLiveLog(root: HTMLElement): () => void {
  const box = root.querySelector<HTMLElement>(".log")!;
  const status = root.querySelector<HTMLElement>(".live-status");
  const max = Math.max(1, Number(root.dataset.maxLines) || 5000);
  const note = root.querySelector<HTMLElement>(".log-dropped");
  /** Lines received since the last frame, as sent (only those kept are parsed). */
  let pending: string[] = [];
  let scheduled = false;
  let sawLine = false;
  // The page may start the log after its first lines (`data-start-after`): those count as
  // dropped, as they would have been once the later ones came.
  const startAfter = Math.max(0, Math.floor(Number(root.dataset.startAfter) || 0));
  let dropped = startAfter;
  /** Lines on the page, in the lists under `box` (the server renders one, empty). */
  let shown = 0;
  let lastFlush = 0;
  /** Removes the `n` oldest lines: whole lists while they go entirely, the last one kept. */
  const dropOldest = (n: number) => {
    while (n > 0) {
      const first = box.firstElementChild as HTMLOListElement;
      const count = first.childElementCount;
      if (count === 0) break; // nothing left to drop (not reached: never more than shown)
      if (count <= n) {
        if (first === box.lastElementChild) first.replaceChildren();
        else first.remove();
        n -= count;
      } else {
        for (let i = 0; i < n; i++) first.firstElementChild!.remove();
        n = 0;
      }
    }
  };
  /** Appends `items` to the last list, and to new lists once it holds `PART_LINES`. */
  const appendLines = (items: HTMLLIElement[]) => {
    let last = box.lastElementChild as HTMLOListElement;
    let at = 0;
    const room = Math.max(0, PART_LINES - last.childElementCount);
    if (room > 0) {
      last.append(...items.slice(0, room));
      at = room;
    }
    const parts = document.createDocumentFragment();
    while (at < items.length) {
      last = document.createElement("ol");
      last.append(...items.slice(at, at + PART_LINES));
      parts.append(last);
      at += PART_LINES;
    }
    box.append(parts);
  };
  /** Shows how many earlier lines are not on the page, once there are any. */
  const showDropped = () => {
    if (dropped === 0 || !note) return;
    note.hidden = false;
    note.querySelector(".log-dropped-text")!.textContent = `${
      dropped.toLocaleString("en-US")
    } earlier line${dropped === 1 ? " is" : "s are"} not shown: this page keeps the last ${
      max.toLocaleString("en-US")
    }.`;
  };
  showDropped();
  /** Adds pending lines to the page: `limit` of them at most, the next frame doing the rest. */
  const flush = (limit = FRAME_LINES) => {
    scheduled = false;
    lastFlush = performance.now();
    const atBottom = box.scrollHeight - box.scrollTop - box.clientHeight < 8;
    // Lines that would be dropped at once are never made.
    const skip = Math.max(0, pending.length - max);
    const upto = Math.min(pending.length, skip + limit);
    const items: HTMLLIElement[] = [];
    for (let i = skip; i < upto; i++) {
      items.push(lineItem(JSON.parse(pending[i]!) as Line));
    }
    pending = upto === pending.length ? [] : pending.slice(upto);
    const excess = Math.max(0, shown + items.length - max);
    dropped += skip + excess;
    shown += items.length - excess;
    dropOldest(excess);
    appendLines(items);
    showDropped();
    if (atBottom) box.scrollTop = box.scrollHeight;
    if (pending.length > 0) {
      scheduled = true;
      requestAnimationFrame(() => flush());
    }
  };
  const f = follow(root.dataset.liveLog!, {
    lastEventId: startAfter > 0 ? String(startAfter) : undefined,
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
          setTimeout(() => requestAnimationFrame(() => flush()), wait);
        }
      } else if (e.event === "end") {
        // The last lines are on the page before it says the job ended.
        if (pending.length > 0) flush(Infinity);
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
