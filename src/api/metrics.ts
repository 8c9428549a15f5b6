/**
 * Prometheus metrics in the text exposition format: jobs by status, queue depth, jobs running
 * here, bytes transferred, transfer errors, and a histogram of job durations.
 *
 * @module
 */

import type { Engine } from "../engine/mod.ts";

const BUCKETS = [0.1, 0.5, 1, 5, 15, 60, 300, 1800, 3600];

/** Cumulative counters kept by this process (histograms must not reset between scrapes). */
const hist = new Map<string, { counts: number[]; sum: number; n: number }>();

/** The metrics of `engine` now, in the Prometheus text format. */
export async function renderMetrics(engine: Engine): Promise<string> {
  const { byStatus: counts, bytes } = await engine.jobs.stats();
  const out: string[] = [];
  out.push("# HELP aft_jobs Jobs in the job history by status.", "# TYPE aft_jobs gauge");
  for (const [status, n] of Object.entries(counts)) out.push(`aft_jobs{status="${status}"} ${n}`);
  out.push("# HELP aft_queue_depth Jobs waiting to run.", "# TYPE aft_queue_depth gauge");
  out.push(`aft_queue_depth ${counts.queued}`);
  out.push(
    "# HELP aft_jobs_running_here Jobs running in this process.",
    "# TYPE aft_jobs_running_here gauge",
  );
  out.push(`aft_jobs_running_here ${engine.service.runningHere()}`);
  out.push(
    "# HELP aft_bytes_transferred_total Bytes moved by the copy engine (jobs in the history).",
    "# TYPE aft_bytes_transferred_total counter",
  );
  out.push(`aft_bytes_transferred_total ${bytes}`);
  out.push(
    "# HELP aft_transfer_errors_total Jobs in the history that failed.",
    "# TYPE aft_transfer_errors_total counter",
  );
  out.push(`aft_transfer_errors_total ${counts.failed}`);

  for (const d of engine.service.takeDurations()) {
    const h = hist.get(d.status) ?? { counts: BUCKETS.map(() => 0), sum: 0, n: 0 };
    BUCKETS.forEach((b, i) => {
      if (d.seconds <= b) h.counts[i]!++;
    });
    h.sum += d.seconds;
    h.n++;
    hist.set(d.status, h);
  }
  out.push(
    "# HELP aft_job_duration_seconds Time from start to end of jobs run by this process.",
    "# TYPE aft_job_duration_seconds histogram",
  );
  for (const [status, h] of hist) {
    BUCKETS.forEach((b, i) => {
      out.push(`aft_job_duration_seconds_bucket{status="${status}",le="${b}"} ${h.counts[i]}`);
    });
    out.push(`aft_job_duration_seconds_bucket{status="${status}",le="+Inf"} ${h.n}`);
    out.push(`aft_job_duration_seconds_sum{status="${status}"} ${h.sum.toFixed(3)}`);
    out.push(`aft_job_duration_seconds_count{status="${status}"} ${h.n}`);
  }
  return out.join("\n") + "\n";
}
