/**
 * Clean-up of what the console and sign-in leave behind, run with the job history's (hourly, by
 * the service's queue): audit entries older than `auditRetentionDays` (never fewer days than
 * `jobRetentionDays`, so the log reaches back as far as the jobs it speaks of), sessions that
 * have expired, and failed-authentication counts older than a day (no limit looks back further).
 *
 * @module
 */

import type { EngineCore } from "./types.ts";

/** Removes old audit entries, expired sessions and old failure counts; says what it removed. */
export async function purgeAuthRecords(core: EngineCore, log: (msg: string) => void) {
  const { auditRetentionDays, jobRetentionDays } = await core.settings();
  const days = Math.max(auditRetentionDays, jobRetentionDays);
  const now = Date.now();
  const entries = await core.store.audit.purge(new Date(now - days * 86400_000).toISOString());
  if (entries > 0) {
    log(`removed ${entries} audit log entr${entries === 1 ? "y" : "ies"} older than ${days} days`);
  }
  await core.store.sessions.purge(new Date(now).toISOString());
  await core.store.failures.purge(new Date(now - 86400_000).toISOString());
}
