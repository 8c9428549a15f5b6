/**
 * `aft settings get [KEY]` and `aft settings set KEY VALUE`.
 *
 * @module
 */

import { UsageError } from "../errors.ts";
import { createEngine, defaultSettings, isSettingKey, SETTINGS } from "../engine/mod.ts";
import { esc, type GlobalOptions, printJson, printTable } from "./_output.ts";

/** Options of `aft settings`. */
export interface SettingsOptions extends GlobalOptions {
  json?: boolean;
}

/** Entry of `aft settings`. */
export default async function settings(
  action: string,
  args: string[],
  opts: SettingsOptions,
): Promise<number> {
  const engine = await createEngine({ dataDir: opts.data });
  try {
    if (action === "set") {
      const [key, value] = args;
      const saved = await engine.settings.set(key!, value);
      console.log(`${esc(key!)} = ${esc(JSON.stringify(saved))}`);
      return 0;
    }
    const current = await engine.settings.get() as unknown as Record<string, unknown>;
    const key = args[0];
    if (key !== undefined) {
      if (!isSettingKey(key)) {
        throw new UsageError(`Unknown setting "${key}": see \`aft settings get\` for the list`);
      }
      if (opts.json) printJson({ [key]: current[key] });
      else {
        console.log(
          esc(typeof current[key] === "string" ? current[key] : JSON.stringify(current[key])),
        );
      }
      return 0;
    }
    if (opts.json) {
      printJson(current);
      return 0;
    }
    const defaults = defaultSettings() as unknown as Record<string, unknown>;
    printTable(
      ["key", "value", "", "meaning"],
      Object.keys(SETTINGS).map((k) => [
        k,
        JSON.stringify(current[k]),
        JSON.stringify(current[k]) === JSON.stringify(defaults[k]) ? "" : "(changed)",
        SETTINGS[k as keyof typeof SETTINGS].help,
      ]),
    );
    return 0;
  } finally {
    await engine.close();
  }
}
