/**
 * `engine.settings`: read and change the service settings, each value checked against the
 * settings table (`settings.ts`) before anything is stored.
 *
 * @module
 */

import { guarded } from "./errors.ts";
import {
  networkSettingKeys,
  parseSettingValue,
  type SettingKey,
  type Settings,
} from "./settings.ts";
import type { EngineCore } from "./types.ts";

export interface SettingsOps {
  /** Current settings; a read is reused for at most a second unless `fresh`. */
  get(opts?: { fresh?: boolean }): Promise<Settings>;
  /** Checks and stores one setting; returns the value as stored. */
  set(key: string, value: unknown): Promise<unknown>;
  /** Checks every change first, then stores them all; returns the settings after. */
  update(changes: Record<string, unknown>): Promise<Settings>;
  /** Resets the network settings (`aft reinit`); returns their keys. */
  resetNetwork(): Promise<SettingKey[]>;
}

/** The settings operations over `core`. */
export function createSettingsOps(core: EngineCore): SettingsOps {
  return guarded({
    get: (opts?: { fresh?: boolean }) => core.settings(opts?.fresh === true),
    async set(key: string, value: unknown) {
      const parsed = parseSettingValue(key, value);
      await core.store.settings.set(key, parsed);
      await core.settings(true);
      return parsed;
    },
    async update(changes: Record<string, unknown>) {
      const parsed = Object.entries(changes).map(([k, v]) => [k, parseSettingValue(k, v)] as const);
      for (const [k, v] of parsed) await core.store.settings.set(k, v);
      return await core.settings(true);
    },
    async resetNetwork() {
      const keys = networkSettingKeys();
      for (const k of keys) await core.store.settings.remove(k);
      await core.settings(true);
      return keys;
    },
  });
}
