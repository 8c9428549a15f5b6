/**
 * The engine: data directory, store, secrets, settings, VFS Library, event bus, job execution.
 *
 * @module
 */

export { createEngine } from "./engine.ts";
export { executeJob, type ExecuteOptions, type JobSource } from "./execute.ts";
export { ParamsError, parseParams } from "./params.ts";
export {
  defaultSettings,
  loadSettings,
  parseSettingValue,
  saveSetting,
  SETTINGS,
  type Settings,
} from "./settings.ts";
export type { Engine, EngineEvent, EventBus, Secrets, VfsLibrary } from "./types.ts";
