/**
 * The engine's public surface: what `api/`, `commands/` (and the web console) import, and
 * nothing else of `engine/`. `createEngine()` gives the `Engine`, whose operations enforce the
 * rules and throw EngineError; the rest are the helpers and types a surface needs to speak to
 * it (settings table, parameters, the service's files, address checks for authentication).
 *
 * @example
 * ```ts
 * import { createEngine } from "./src/engine/mod.ts";
 * const engine = await createEngine({ dataDir: "/tmp/aft" });
 * const job = await engine.jobs.submit({
 *   target: { scriptName: "My Backup Job" },
 *   params: { character: "goofy" },
 *   trigger: "api",
 *   caller: { kind: "local" },
 * });
 * await engine.close();
 * ```
 * @module
 */

import type { EngineOptions } from "./engine.ts";
import type { Engine } from "./surface.ts";
import { mark } from "../timings.ts";

export type { Engine, EngineOptions };

/**
 * Opens the engine over a data directory (see `engine.ts`). Loaded on first call, so a command
 * that only needs the helpers below (`aft start`) does not load the store and the runtime.
 */
export async function createEngine(opts: EngineOptions = {}): Promise<Engine> {
  const mod = await import("./engine.ts");
  mark("engine modules loaded");
  return await mod.createEngine(opts);
}
export { EngineError, type ErrorCode, type ErrorKind, kindOfCode } from "./errors.ts";
export { type ApiKeyView, type Caller, hasScope, type Scope, SCOPES } from "./access.ts";
export {
  type Actor,
  AUDIT_CSV_HEADER,
  auditCsvRow,
  auditCsvStream,
  type AuditOps,
  type AuditQuery,
  type AuditView,
  cliActor,
} from "./audit.ts";
export type { AdminOps, AdminView } from "./admins.ts";
export type { SessionOps, SessionView, SignedIn, SignInResult } from "./sessions.ts";
export type { SetupOps } from "./setup.ts";
export { type FailureOps, type Limit, Throttle, waitText } from "./throttle.ts";
export {
  estimateStrength,
  MAX_PASSWORD_LENGTH,
  MIN_PASSWORD_LENGTH,
  passwordProblems,
  type Strength,
} from "./password_strength.ts";
export { sameHash } from "./hash.ts";
export { isLoopback, normalizeIp } from "./ip.ts";
export type {
  FollowEvent,
  HourSummary,
  JobListFilter,
  JobOps,
  JobPage,
  SubmitInput,
} from "./jobs.ts";
export type { ExecuteHereOptions, LocalRunOps } from "./local_run.ts";
export type { JobProgress, JobSource } from "./execute.ts";
export type { ScriptMeta, ScriptOps } from "./scripts.ts";
export { MAX_STORED_SCRIPT_BYTES, RUN_FROM_FILE } from "./scripts.ts";
export type { SecretOps, SecretView } from "./secret_ops.ts";
export type { VfsOps, VfsPatch, VfsSummary, VfsView } from "./vfs_ops.ts";
export type { VfsFileEntry, VfsFileOps } from "./vfs_files.ts";
export { isCredentialOption } from "./vfs_library.ts";
export { isVfsOption } from "../vfs/option_rules.ts";
export type { ApiKeyOps } from "./apikeys.ts";
export type { CronPreview, ScheduleOps, SchedulePatch } from "./schedule_ops.ts";
export type { SettingsOps } from "./settings_ops.ts";
export type { ServiceOps } from "./service.ts";
export type { MaintenanceOps } from "./maintenance_ops.ts";
export {
  type BackupManifest,
  type BackupResult,
  restoreBackup,
  type RestoreResult,
} from "./backup.ts";
export type { EngineEvent, EventBus } from "./types.ts";
export { ParamsError, parseParams } from "./params.ts";
export {
  defaultSettings,
  folderForm,
  isSettingKey,
  parseSettingValue,
  type SettingKey,
  SETTINGS,
  type Settings,
  type SettingSpec,
} from "./settings.ts";
export { resolveDataDir } from "./data_dir.ts";
export {
  connectAddress,
  readServiceFiles,
  removeServiceFiles,
  type ServiceInfo,
  serviceUp,
  writeServiceFiles,
} from "./service_file.ts";
export { checkName, contentDisposition, escapeControls } from "./names.ts";
export { isCanonicalName, nameKey } from "./canonical_names.ts";
export { SCRIPT_EXTENSIONS } from "./script_files.ts";
export { scriptTypings } from "./typings.ts";
export { describeCron } from "./cron_words.ts";
export { type NodeState, type NodeView } from "./node_ops.ts";
export { FINISHED, JOB_STATUSES, JOB_TRIGGERS } from "../store/types.ts";
export type {
  JobStatus,
  JobTrigger,
  JobView,
  LogLevel,
  LogLine,
  NodeRecord,
  ScheduleRecord,
  ScriptRecord,
} from "../store/types.ts";
export type { VfsDefinition, VfsType } from "../vfs/types.ts";
