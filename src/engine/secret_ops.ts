/**
 * `engine.secrets`: write-only secrets. Values are encrypted at rest with the master key
 * (`crypto.ts`) and never returned by an operation; only job execution reads them.
 *
 * @module
 */

import type { SecretRecord } from "../store/types.ts";
import { EngineError, guarded } from "./errors.ts";
import { checkName } from "./names.ts";
import type { EngineCore } from "./types.ts";

/** A secret as shown: name and dates, never the value. */
export type SecretView = Omit<SecretRecord, "valueEnc">;

export interface SecretOps {
  /** Names and dates, never values. */
  list(): Promise<SecretView[]>;
  /** Creates or replaces a secret (names are case-sensitive); the value may not be empty. */
  set(name: string, value: string): Promise<{ secret: SecretView; created: boolean }>;
  /** SECRET_NOT_FOUND when there is none by that name. */
  remove(name: string): Promise<void>;
}

/** The secret operations over `core`. */
export function createSecretOps(core: EngineCore): SecretOps {
  return guarded({
    list: () => core.secrets.list(),
    async set(name: string, value: string) {
      const n = checkName("secret", name);
      if (value === "") {
        throw new EngineError("INVALID_REQUEST", "A secret's value cannot be empty");
      }
      const existed = await core.store.secrets.getByName(n);
      const { valueEnc: _, ...secret } = await core.secrets.set(n, value);
      return { secret, created: !existed };
    },
    async remove(name: string) {
      if (!(await core.secrets.remove(name))) {
        throw new EngineError("SECRET_NOT_FOUND", `No secret named "${name}"`);
      }
    },
  });
}
