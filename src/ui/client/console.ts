/// <reference lib="dom" />
/**
 * The script every console page loads: local times, confirmation dialogs, the unsaved-edits
 * guard, live logs, live counters and charts, and the pages' own parts (parameter rows, copy
 * buttons, uploads, the cron preview, time filters, the dashboard's job table, a job's live
 * facts), password strength meters, each wired to the elements that ask for it. Module scripts run after the document
 * is parsed, so the elements are there.
 *
 * @module
 */

import { wireCharts } from "./chart.ts";
import { wireConfirmations } from "./confirm.ts";
import { wireCopyButtons } from "./copy.ts";
import { wireCounters } from "./counters.ts";
import { wireCronPreviews } from "./cron_preview.ts";
import { wireUploads } from "./file_upload.ts";
import { wireJobFacts } from "./job_live.ts";
import { wireJobTable } from "./job_table.ts";
import { wireLocalTimeInputs } from "./local_input.ts";
import { wireLazyFields } from "./lazy_fields.ts";
import { wireLiveLog } from "./log_view.ts";
import { wireParamRows } from "./params.ts";
import { wireStrengthMeters } from "./strength.ts";
import { localizeTimes } from "./time.ts";
import { wireLocalTimeFilters } from "./time_filter.ts";
import { wireUnsavedGuard } from "./unsaved.ts";

localizeTimes();
wireConfirmations();
wireUnsavedGuard();
wireCharts();
wireParamRows();
wireCopyButtons();
wireUploads();
wireLazyFields();
wireCronPreviews();
wireLocalTimeFilters();
wireJobFacts();
wireStrengthMeters();
wireLocalTimeInputs();
for (const el of document.querySelectorAll<HTMLElement>("[data-live-log]")) wireLiveLog(el);
for (const el of document.querySelectorAll<HTMLElement>("[data-live-counters]")) wireCounters(el);
for (const el of document.querySelectorAll<HTMLTableElement>("table[data-live-jobs]")) {
  wireJobTable(el);
}
document.documentElement.dataset.ready = "1";
