/**
 * For the script host's tests: runs a script in a real Worker (no runner process) and returns
 * how it ended and what it logged.
 *
 * @module
 */

import type { LogLevel } from "../../store/types.ts";
import type { JobSpec, RunnerRequest } from "../protocol/messages.ts";
import { testJobSpec } from "../protocol/_test_spec.ts";
import { type ScriptEnd, startScript } from "./script_host.ts";

/** Runs `source` to its end; `request` answers the script's calls to the parent (default null). */
export async function runSource(
  source: string,
  job: Partial<JobSpec> = {},
  request: (req: RunnerRequest) => unknown = () => null,
): Promise<ScriptEnd & { logs: { level: LogLevel; text: string }[] }> {
  const logs: { level: LogLevel; text: string }[] = [];
  const script = startScript(testJobSpec(source, job), {
    request: (req) => Promise.resolve(request(req)),
    log: (level, text) => void logs.push({ level, text }),
    progress() {},
  });
  return { ...await script.done, logs };
}
