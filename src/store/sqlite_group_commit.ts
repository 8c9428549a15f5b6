/**
 * Group commit of new jobs on SQLite: the jobs (each with its audit entry) created while the
 * event loop is busy are written in one transaction on its next turn, and each caller's promise
 * settles only after that commit. Accepting a job thus still means "stored, with its entry"
 * before the API answers 201; what is shared is the commit (WAL frames, the WAL index, the
 * occasional checkpoint), which cost more than the inserts themselves: 16 clients posting at
 * once used a commit per job, now one per turn for all of them.
 *
 * When the shared transaction fails (a full disk, a refused entry), each write is tried again
 * in a transaction of its own, so that one bad write fails only its own caller.
 *
 * @module
 */

import type { JobRecord, NewAuditEntry, NewJob } from "./types.ts";
import { mapped } from "./sqlite_file.ts";
import { soon, type Ticker } from "../timers.ts";

/** One job waiting for the next commit. */
interface Pending {
  input: NewJob;
  audit?: (job: JobRecord) => NewAuditEntry;
  done: PromiseWithResolvers<JobRecord>;
}

/** Writes a job (and its entry) inside the caller's transaction; returns the job. */
export type WriteJob = (input: NewJob, audit?: (job: JobRecord) => NewAuditEntry) => JobRecord;

/** Group commit of job inserts over one connection. */
export class JobCommits {
  #pending: Pending[] = [];
  #timer: Ticker | undefined;

  /**
   * `write` runs the inserts, `tx` a transaction, and `committed` hears of each job once it is
   * committed (to signal it).
   */
  constructor(
    readonly write: WriteJob,
    readonly tx: <T>(fn: () => T) => T,
    readonly committed: (job: JobRecord) => void,
  ) {}

  /**
   * The job, once committed with the others of this turn of the event loop. A job this
   * process runs itself (`running`: `aft run`'s) is committed at once, with any waiting: no
   * other job joins an `aft run` process's commit, and the next turn (`soon`, about 2 ms on
   * Deno's timers) was on its path to the script's start.
   */
  add(input: NewJob, audit?: (job: JobRecord) => NewAuditEntry): Promise<JobRecord> {
    const done = Promise.withResolvers<JobRecord>();
    this.#pending.push({ input, audit, done });
    if (input.running) this.flush();
    // Not setTimeout: see timers.ts.
    else this.#timer ??= soon(() => this.flush());
    return done.promise;
  }

  /** Commits what is waiting now (also when the store closes). */
  flush(): void {
    this.#timer?.stop();
    this.#timer = undefined;
    const batch = this.#pending;
    this.#pending = [];
    if (batch.length === 0) return;
    let jobs: JobRecord[] | undefined;
    if (batch.length > 1) {
      try {
        jobs = this.tx(() => batch.map((p) => this.write(p.input, p.audit)));
      } catch { /* each on its own below, for its own outcome */ }
    }
    if (jobs) {
      batch.forEach((p, i) => this.#settle(p, jobs[i]!));
      return;
    }
    for (const p of batch) {
      try {
        this.#settle(p, this.tx(() => this.write(p.input, p.audit)));
      } catch (err) {
        p.done.reject(mapped(err));
      }
    }
  }

  #settle(p: Pending, job: JobRecord): void {
    this.committed(job);
    p.done.resolve(job);
  }
}
