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

/**
 * The largest value a secret may hold, in UTF-8 bytes: room for keys, certificates and
 * credential files many times over. Each job that reads a secret keeps every form of it the
 * redactor looks for in log lines (hex, base64, ...), about 20 times its size, and passes it
 * to the script: a secret of 14 MB ran a job out of memory.
 */
export const MAX_SECRET_BYTES = 1024 * 1024;

/** A secret as shown: name and dates, never the value. */
export type SecretView = Omit<SecretRecord, "valueEnc">;

export interface SecretOps {
  /** Names and dates, never values. */
  list(): Promise<SecretView[]>;
  /** Creates or replaces a secret (names are case-sensitive); the value: 1 byte to 1 MiB. */
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
      const bytes = new TextEncoder().encode(value).length;
      if (bytes > MAX_SECRET_BYTES) {
        throw new EngineError(
          "INVALID_REQUEST",
          `A secret's value can be at most 1 MiB (${
            fmtBytes(MAX_SECRET_BYTES)
          } bytes); this one has ${fmtBytes(bytes)}`,
        );
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

const fmtBytes = (n: number) => n.toLocaleString("en-US");
