/**
 * For tests: the job a runner is handed, with the fields a test does not care about filled in.
 *
 * @module
 */

import type { JobSpec } from "./messages.ts";

/** A job running `source` as script "t" (file `t.syncjs`), no parameters, no local roots. */
export function testJobSpec(source: string, job: Partial<JobSpec> = {}): JobSpec {
  return {
    jobId: "t1",
    scriptName: "t",
    source,
    fileName: "t.syncjs",
    params: {},
    quoteSource: true,
    limits: { localRoots: [] },
    ...job,
  };
}
