/**
 * API keys (`engine.apikeys`). A key is 256 random bits written in base58 (44 characters, like
 * AFT!'s keys); only its SHA-256 is stored, with a short prefix for recognising it in lists. A
 * presented key is hashed and looked up by hash, then the hashes are compared in constant time;
 * the caller's address must be in the key's allow-list.
 *
 * @module
 */

import type { ApiKeyRecord } from "../store/types.ts";
import { type ApiKeyView, type Scope, SCOPES } from "./access.ts";
import { recorder } from "./audit.ts";
import { EngineError, guarded } from "./errors.ts";
import { ApiKeyCache } from "./apikey_cache.ts";
import { hashKey, hashKeySync, sameHash } from "./hash.ts";
import { allowed, parseRange } from "./ip.ts";
import { checkName } from "./names.ts";
import type { EngineCore } from "./types.ts";

export { hashKey, sameHash };

export const DEFAULT_SCOPES: Scope[] = ["jobs:start", "jobs:read"];
export const DEFAULT_ALLOW = ["127.0.0.1", "::1"];

/**
 * How exact a key's "last used" time and address are: a key used again from the same address
 * within this time is not written again (a write per request would double the writes of the
 * accept path); a new address is written at once.
 */
export const LAST_USED_MS = 60_000;

const B58 = "123456789ABCDEFGHJKLMNPQRSTUVWXYZabcdefghijkmnopqrstuvwxyz";

/** A new key: 32 random bytes in base58. */
export function newApiKey(): string {
  const bytes = crypto.getRandomValues(new Uint8Array(32));
  let n = 0n;
  for (const b of bytes) n = (n << 8n) | BigInt(b);
  let out = "";
  while (n > 0n) {
    out = B58[Number(n % 58n)] + out;
    n /= 58n;
  }
  return out.padStart(44, "1");
}

/** A key as shown: everything but its hash. */
export function apiKeyView(k: ApiKeyRecord): ApiKeyView {
  const { hash: _, ...view } = k;
  return view;
}

export interface ApiKeyOps {
  /**
   * Creates a key (default scopes `jobs:start` and `jobs:read`, default allow-list 127.0.0.1
   * and ::1); returns it with the key, which is shown this once.
   */
  create(input: { name: string; allow?: string[]; scopes?: string[] }): Promise<{
    key: string;
    record: ApiKeyView;
  }>;
  list(): Promise<ApiKeyView[]>;
  /** By ID or name (case-insensitive); APIKEY_NOT_FOUND when there is none. */
  remove(idOrName: string): Promise<void>;
  /**
   * The key presented by a caller at address `ip`: UNAUTHORIZED when it is unknown,
   * ADDRESS_NOT_ALLOWED when `ip` is not in its allow-list.
   */
  authenticate(key: string, ip: string): Promise<ApiKeyView>;
  /**
   * Records in the audit log that address `ip` is refused for `seconds` after `failures`
   * failed authentications (the REST API's limiter calls it once per lock-out).
   */
  lockedOut(ip: string, failures: number, seconds: number): Promise<void>;
}

/** How often a key refused from one address is written to the audit log at most. */
const REFUSED_AUDIT_MS = 60_000;

/** The API key operations over `core`. */
export function createApiKeyOps(core: EngineCore): ApiKeyOps {
  const store = core.store;
  const cache = new ApiKeyCache(store.changeMark ? () => store.changeMark!() : undefined);
  /** The key with hash `hash`, from the cache or the store. */
  const byHash = async (hash: string): Promise<ApiKeyRecord | undefined> => {
    const kept = cache.get(hash);
    if (kept) return kept;
    const lookup = cache.begin();
    const rec = await store.apikeys.getByHash(hash);
    if (rec) cache.set(hash, rec, lookup);
    return rec;
  };
  /** When each key was last recorded as refused from each address. */
  const refusedAt = new Map<string, number>();
  const firstRefusalThisMinute = (id: string, ip: string): boolean => {
    const k = `${id} ${ip}`;
    const now = Date.now();
    if (now - (refusedAt.get(k) ?? 0) < REFUSED_AUDIT_MS) return false;
    if (refusedAt.size >= 10_000) refusedAt.clear();
    refusedAt.set(k, now);
    return true;
  };
  return guarded({
    async create(input: { name: string; allow?: string[]; scopes?: string[] }) {
      const name = checkName("API key", input.name);
      // Left out, a list takes its default; given empty, it is refused: a key allowed from
      // nowhere, or for nothing, is not what anyone asked for, and the defaults are not either
      // (a form with every scope unticked, `--allow ''`).
      if (input.allow?.length === 0) {
        throw new EngineError(
          "INVALID_REQUEST",
          `An API key needs at least one address or CIDR range it may be used from (this machine only: ${
            DEFAULT_ALLOW.join(" and ")
          })`,
        );
      }
      if (input.scopes?.length === 0) {
        throw new EngineError(
          "INVALID_REQUEST",
          `An API key needs at least one scope: ${SCOPES.join(", ")}`,
        );
      }
      const allow = input.allow ?? DEFAULT_ALLOW;
      for (const a of allow) {
        if (!parseRange(a)) {
          throw new EngineError("INVALID_REQUEST", `"${a}" is not an address or CIDR range`);
        }
      }
      const scopes = input.scopes ?? DEFAULT_SCOPES;
      for (const s of scopes) {
        if (!(SCOPES as readonly string[]).includes(s)) {
          throw new EngineError(
            "INVALID_REQUEST",
            `Unknown scope "${s}": use ${SCOPES.join(", ")}`,
          );
        }
      }
      const key = newApiKey();
      const record = await store.apikeys.create({
        name,
        prefix: key.slice(0, 6),
        hash: await hashKey(key),
        allow: [...new Set(allow)],
        scopes: [...new Set(scopes)],
      });
      return { key, record: apiKeyView(record) };
    },
    list: async () => (await store.apikeys.list()).map(apiKeyView),
    async remove(idOrName: string) {
      cache.clear();
      try {
        if (!(await store.apikeys.remove(idOrName))) {
          throw new EngineError("APIKEY_NOT_FOUND", `No API key "${idOrName}"`);
        }
      } finally {
        cache.clear(); // and lookups that began while it was being removed are not kept
      }
    },
    async authenticate(key: string, ip: string) {
      const hash = hashKeySync(key.trim());
      const rec = await byHash(hash);
      if (!rec || !sameHash(rec.hash, hash)) {
        throw new EngineError("UNAUTHORIZED", "The API key is not valid");
      }
      if (!allowed(ip, rec.allow)) {
        // A valid key from the wrong place may be a key that has leaked: worth a line in the
        // audit log, once a minute for a key and an address (whoever holds it can send
        // thousands, and the lock-out answers 429 without stopping them). Unknown keys are not
        // recorded one by one: they are noise until the limiter locks their address out, which
        // `lockedOut` records.
        if (firstRefusalThisMinute(rec.id, ip)) {
          await recorder(core, { kind: "apikey", name: rec.name, ip })(
            "apikey.refused",
            rec.name,
            { result: "address not allowed" },
            "failed",
          );
        }
        throw new EngineError(
          "ADDRESS_NOT_ALLOWED",
          `The API key "${rec.name}" may not be used from ${ip}`,
        );
      }
      // "Last used" to the minute: one write per key per minute, not one per request; at
      // once when the key is used from another address. The kept record is brought up to date
      // too, so that the cache does not make every request of the next seconds write again.
      if (
        !rec.lastUsedAt || Date.now() - Date.parse(rec.lastUsedAt) > LAST_USED_MS ||
        rec.lastCallerIp !== ip
      ) {
        rec.lastUsedAt = new Date().toISOString();
        rec.lastCallerIp = ip;
        store.apikeys.touch(rec.id, ip).catch(() => {});
      }
      return apiKeyView(rec);
    },

    async lockedOut(ip: string, failures: number, seconds: number) {
      await recorder(core, { kind: "system", name: "REST API", ip })("apikey.lockout", ip, {
        failures,
        seconds,
      }, "failed");
    },
  });
}
