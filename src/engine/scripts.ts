/**
 * `engine.scripts`: stored scripts. Names match case-insensitively; a script that a schedule
 * uses is removed only with `force`, which removes those schedules too, and is not renamed (the
 * schedules name it).
 *
 * @module
 */

import type { ScriptRecord } from "../store/types.ts";
import { EngineError, guarded } from "./errors.ts";
import { nameKey } from "./canonical_names.ts";
import { checkName } from "./names.ts";
import type { EngineCore } from "./types.ts";

/** A stored script without its source, as lists show it. */
export type ScriptMeta = Omit<ScriptRecord, "source">;

export interface ScriptOps {
  /** Every stored script, without sources. */
  list(): Promise<ScriptMeta[]>;
  /** By ID, else by name; SCRIPT_NOT_FOUND when there is neither. */
  get(idOrName: string): Promise<ScriptRecord>;
  /** ALREADY_EXISTS when the name is taken (case-insensitively). */
  create(input: { name: string; source: string }): Promise<ScriptRecord>;
  /** Stores the script under its name, replacing one of that name. */
  put(input: { name: string; source: string }): Promise<
    { script: ScriptRecord; replaced: boolean }
  >;
  /** Renames a script or replaces its source; SCRIPT_IN_USE, naming them, for a rename while schedules run it (a change of case is no rename). */
  update(idOrName: string, patch: { name?: string; source?: string }): Promise<ScriptRecord>;
  /**
   * Removes a script. SCRIPT_IN_USE, naming them, when schedules run it, unless `force`, which
   * removes those schedules too; returns their names.
   */
  remove(idOrName: string, opts?: { force?: boolean }): Promise<
    { script: ScriptMeta; schedules: string[] }
  >;
}

/**
 * The largest script stored (bytes of UTF-8), by every way in (CLI, REST, console). A stored
 * script is a program someone edits in the console; the form took a 20 MB one, whose page
 * then never finished loading. A larger program runs from a file (`MAX_SCRIPT_FILE_BYTES`).
 * The REST routes that store a script take a body large enough for any script of this size
 * however its JSON is escaped (`SCRIPT_BODY_LIMIT` in `src/api/routes/scripts.ts`).
 */
export const MAX_STORED_SCRIPT_BYTES = 1024 * 1024;

/** What to do with a script too large to store, as refusals of one say it. */
export const RUN_FROM_FILE =
  "run a larger one from a file: aft run -f FILE (or aft start -f FILE, or a REST job's filePath in a scriptRoots folder)";

/** `source` when it is a script's text of a size that is stored; INVALID_REQUEST otherwise. */
function checkSource(source: string): string {
  if (typeof source !== "string") {
    throw new EngineError("INVALID_REQUEST", "A script's source must be text");
  }
  // Each UTF-16 unit is at most 3 bytes of UTF-8: only long texts need counting.
  if (source.length * 3 <= MAX_STORED_SCRIPT_BYTES) return source;
  const bytes = new TextEncoder().encode(source).length;
  if (bytes <= MAX_STORED_SCRIPT_BYTES) return source;
  // In bytes: "1.0 MiB, and at most 1 MiB" read as a contradiction just past the limit.
  throw new EngineError(
    "INVALID_REQUEST",
    `The script is ${bytes.toLocaleString("en")} bytes, and a stored script may be at most ${
      MAX_STORED_SCRIPT_BYTES / 1048576
    } MiB (${MAX_STORED_SCRIPT_BYTES.toLocaleString("en")} bytes): ${RUN_FROM_FILE}`,
  );
}

/** The script operations over `core`. */
export function createScriptOps(core: EngineCore): ScriptOps {
  const store = core.store;
  const find = async (idOrName: string) => {
    const s = (await store.scripts.get(idOrName)) ?? (await store.scripts.getByName(idOrName));
    if (!s) throw new EngineError("SCRIPT_NOT_FOUND", `No stored script named "${idOrName}"`);
    return s;
  };
  /** The schedules that run the script named `name`. */
  const usersOf = async (name: string) => {
    const key = nameKey(name);
    return (await store.schedules.list()).filter((x) => nameKey(x.script) === key);
  };
  return guarded({
    list: async () => (await store.scripts.list()).map(({ source: _, ...meta }) => meta),
    get: find,
    create: (input: { name: string; source: string }) =>
      store.scripts.create({
        name: checkName("script", input.name),
        source: checkSource(input.source),
      }),
    async put(input: { name: string; source: string }) {
      const name = checkName("script", input.name);
      checkSource(input.source);
      const existing = await store.scripts.getByName(name);
      const script = existing
        ? await store.scripts.update(existing.id, { name, source: input.source })
        : await store.scripts.create({ name, source: input.source });
      return { script, replaced: existing !== undefined };
    },
    async update(idOrName: string, patch: { name?: string; source?: string }) {
      const s = await find(idOrName);
      const name = patch.name === undefined ? undefined : checkName("script", patch.name);
      if (patch.source !== undefined) checkSource(patch.source);
      // A change of case or of Unicode normalisation is no rename: schedules still find it.
      if (name !== undefined && nameKey(name) !== nameKey(s.name)) {
        // Schedules run a script by its name: renamed, they would find nothing to run.
        const users = await usersOf(s.name);
        if (users.length > 0) {
          throw new EngineError(
            "SCRIPT_IN_USE",
            `The script "${s.name}" is run by the schedule${users.length > 1 ? "s" : ""} ${
              users.map((u) => `"${u.name}"`).join(", ")
            }: remove ${users.length > 1 ? "them" : "it"} before the rename, then add ${
              users.length > 1 ? "them" : "it"
            } again with the new name`,
          );
        }
      }
      return await store.scripts.update(s.id, {
        ...patch,
        ...(name === undefined ? {} : { name }),
      });
    },
    async remove(idOrName: string, opts: { force?: boolean } = {}) {
      const s = await find(idOrName);
      const users = await usersOf(s.name);
      if (users.length > 0 && !opts.force) {
        throw new EngineError(
          "SCRIPT_IN_USE",
          `The script "${s.name}" is run by the schedule${users.length > 1 ? "s" : ""} ${
            users.map((u) => `"${u.name}"`).join(", ")
          }: remove ${users.length > 1 ? "them" : "it"} first, or force the removal to remove ${
            users.length > 1 ? "them" : "it"
          } too`,
        );
      }
      for (const u of users) await store.schedules.remove(u.id);
      await store.scripts.remove(s.id);
      const { source: _, ...script } = s;
      return { script, schedules: users.map((u) => u.name) };
    },
  });
}
