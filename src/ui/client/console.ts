/// <reference lib="dom" />
/**
 * The script every console page loads: local times, confirmation dialogs, the unsaved-edits
 * guard, live logs, live counters and charts, each wired to the elements that ask for it.
 * Module scripts run after the document is parsed, so the elements are there.
 *
 * @module
 */

import { wireCharts } from "./chart.ts";
import { wireConfirmations } from "./confirm.ts";
import { wireCounters } from "./counters.ts";
import { wireLiveLog } from "./log_view.ts";
import { localizeTimes } from "./time.ts";
import { wireUnsavedGuard } from "./unsaved.ts";

localizeTimes();
wireConfirmations();
wireUnsavedGuard();
wireCharts();
for (const el of document.querySelectorAll<HTMLElement>("[data-live-log]")) wireLiveLog(el);
for (const el of document.querySelectorAll<HTMLElement>("[data-live-counters]")) wireCounters(el);
document.documentElement.dataset.ready = "1";
