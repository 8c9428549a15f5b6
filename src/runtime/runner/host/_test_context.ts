/**
 * A real HostContext for tests of host handlers: what a job's runner would give them, with the
 * log lines kept and secrets from a plain table.
 *
 * @module
 */

import type { LogLevel } from "../../../store/types.ts";
import type { JobSpec } from "../../protocol/messages.ts";
import type { HostContext } from "./context.ts";

export interface TestContext extends HostContext {
  logs: { level: LogLevel; text: string }[];
  abort: AbortController;
}

/** A context for one test; `job` fields override the defaults. */
export function testContext(
  job: Partial<JobSpec> = {},
  secrets: Record<string, string> = {},
): TestContext {
  const abort = new AbortController();
  const logs: { level: LogLevel; text: string }[] = [];
  const ends: (() => Promise<void>)[] = [];
  return {
    job: {
      jobId: "test",
      scriptName: "test.syncjs",
      source: "",
      fileName: "test.syncjs",
      params: {},
      quoteSource: true,
      limits: { localRoots: [] },
      ...job,
    },
    signal: abort.signal,
    abort,
    logs,
    request(req) {
      if (req.op === "secret") return Promise.resolve(secrets[req.name] ?? null);
      return Promise.resolve(null);
    },
    log: (level, text) => void logs.push({ level, text }),
    progress() {},
    addBytes() {},
    wake() {},
    onEnd: (fn) => void ends.push(fn),
  };
}
