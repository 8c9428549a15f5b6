/// <reference lib="dom" />
/**
 * Live figures (`LiveCounters` on the server): each `counters` event of the element's
 * `data-live-counters` stream sets the `[data-counter=KEY]` elements it names.
 *
 * @module
 */

import { formatCount } from "./format.ts";
import { follow } from "./live.ts";

/** Follows one counters element; returns its follower's `close`. */
export function wireCounters(root: HTMLElement): () => void {
  const f = follow(root.dataset.liveCounters!, {
    endEvent: "end",
    onEvent(e) {
      if (e.event !== "counters") return;
      const values = JSON.parse(e.data) as Record<string, number>;
      for (const [k, v] of Object.entries(values)) {
        const el = root.querySelector<HTMLElement>(`[data-counter="${CSS.escape(k)}"]`);
        if (el && typeof v === "number") el.textContent = formatCount(v);
      }
    },
    onState(s) {
      root.dataset.state = s;
    },
  });
  return f.close;
}
