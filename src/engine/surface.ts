/**
 * The engine's surface: `Engine`, the one object the CLI, the REST API, schedules and the web
 * console call. Operations are grouped by what they act on; each enforces its rules (targets,
 * folders, scopes, names, validation) and throws EngineError with a stable code.
 *
 * @module
 */

import type { AdminOps } from "./admins.ts";
import type { ApiKeyOps } from "./apikeys.ts";
import type { Actor, AuditOps } from "./audit.ts";
import type { JobOps } from "./jobs.ts";
import type { LocalRunOps } from "./local_run.ts";
import type { MaintenanceOps } from "./maintenance_ops.ts";
import type { NodeOps } from "./node_ops.ts";
import type { ScheduleOps } from "./schedule_ops.ts";
import type { ScriptOps } from "./scripts.ts";
import type { SecretOps } from "./secret_ops.ts";
import type { ServiceOps } from "./service.ts";
import type { SessionOps } from "./sessions.ts";
import type { SettingsOps } from "./settings_ops.ts";
import type { SetupOps } from "./setup.ts";
import type { FailureOps } from "./throttle.ts";
import type { EventBus } from "./types.ts";
import type { VfsOps } from "./vfs_ops.ts";

/**
 * The engine: every operation on jobs, scripts, the VFS Library, secrets, API keys, schedules
 * and settings, over one data directory. Built by `createEngine()`.
 */
export interface Engine {
  /** Absolute path of the data directory. */
  readonly dataDir: string;
  /** This node's name (see `node_id.ts`). */
  readonly node: string;
  /** Which store the engine runs on, and where (safe to print: no password). */
  readonly storeInfo: { readonly kind: "sqlite" | "postgres"; readonly location: string };
  /** Job status changes, log lines and progress of jobs run by this process. */
  readonly bus: EventBus;
  /** Jobs: made, listed, followed, halted; and run here by `aft run` without a service. */
  readonly jobs: JobOps & LocalRunOps;
  readonly scripts: ScriptOps;
  readonly vfs: VfsOps;
  readonly secrets: SecretOps;
  readonly apikeys: ApiKeyOps;
  readonly schedules: ScheduleOps;
  readonly settings: SettingsOps;
  /** The web console's administrators: passwords, two-factor sign-in. */
  readonly admins: AdminOps;
  /** Signing in to the web console, and its sessions. */
  readonly sessions: SessionOps;
  /** The setup wizard: the first admin, from loopback or with a setup code. */
  readonly setup: SetupOps;
  /** The audit log. */
  readonly audit: AuditOps;
  /** Failed authentications, counted in the store for every node (throttling). */
  readonly failures: FailureOps;
  /** The `aft serve` nodes on the store: listed, drained. */
  readonly nodes: NodeOps;
  /** The job queue and the scheduler of `aft serve`. */
  readonly service: ServiceOps;
  /** The store's kind and integrity, and backups (`aft backup`, `aft doctor`). */
  readonly maintenance: MaintenanceOps;
  /** Who this engine's operations are recorded as in the audit log. */
  readonly actor: Actor;
  /**
   * The same engine acting as `actor`: its operations that change something (scripts, VFS
   * Library, secrets, API keys, schedules, settings, admins, jobs started and halted) record
   * an audit entry saying who, when, from which address and what changed (never a secret).
   */
  as(actor: Actor): Engine;
  /**
   * Lock-out recovery (`aft reinit`): resets the network settings and removes the web UI's
   * admin accounts and their sessions; refused while a service runs on the data directory.
   */
  reinit(): Promise<{ settings: string[]; admins: number }>;
  /** Stops what this process runs here and closes the store. */
  close(): Promise<void>;
}
