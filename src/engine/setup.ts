/**
 * `engine.setup`: the setup wizard's rules. While no admin exists, the first one may be created
 * from this machine (a loopback address), or from elsewhere only with a one-time setup code that
 * `aft serve` prints in its log. Codes are kept as hashes in the store (any node accepts a code
 * another printed), last 24 hours, are throttled per address, and are all spent when the first
 * admin is made. `aft reinit` removes the admins, which opens the wizard again.
 *
 * @module
 */

import { checkPassword, checkUsername } from "./admins.ts";
import { recorder } from "./audit.ts";
import { EngineError, guarded } from "./errors.ts";
import { hashKey } from "./hash.ts";
import { isLoopback } from "./ip.ts";
import { hashPassword } from "./passwords.ts";
import { openSession, type SignedIn } from "./sessions.ts";
import { type FailureOps, Throttle } from "./throttle.ts";
import type { EngineCore } from "./types.ts";

export interface SetupOps {
  /** True while there is no admin: the wizard is open. */
  needed(): Promise<boolean>;
  /** True when a setup code is valid now (one was printed and not spent). */
  hasCode(): Promise<boolean>;
  /** A new setup code, valid for 24 hours, while the wizard is open; undefined otherwise. */
  issueCode(): Promise<string | undefined>;
  /**
   * Creates the first admin and signs them in. From a non-loopback `ip` it needs a valid
   * `code` (SETUP_LOOPBACK_ONLY without one, SETUP_CODE_INVALID for a wrong one, throttled);
   * SETUP_DONE once an admin exists; WEAK_PASSWORD.
   */
  complete(
    input: { username: string; password: string; ip: string; code?: string },
  ): Promise<SignedIn>;
}

/** Letters and digits that cannot be mistaken for each other. */
const CODE_ALPHABET = "ABCDEFGHJKMNPQRSTVWXYZ23456789";
const CODE_HOURS = 24;

/** A new code: 16 characters (about 78 bits) in groups of four. */
export function newSetupCode(): string {
  const out: string[] = [];
  const bytes = crypto.getRandomValues(new Uint8Array(16 * 4));
  for (const b of bytes) {
    // Bytes above the last whole multiple are skipped, so every character is equally likely.
    if (b >= 240) continue;
    out.push(CODE_ALPHABET[b % CODE_ALPHABET.length]!);
    if (out.length === 16) break;
  }
  return out.join("").replace(/(.{4})(?!$)/g, "$1-");
}

/** The code as compared: upper case, without spaces and dashes. */
function normalized(code: string): string {
  return code.toUpperCase().replace(/[\s-]/g, "");
}

/** The setup operations over `core`. */
export function createSetupOps(core: EngineCore, failures: FailureOps): SetupOps {
  const store = core.store;
  return guarded({
    needed: async () => (await store.admins.count()) === 0,
    hasCode: () => store.setupCodes.any(new Date().toISOString()),
    async issueCode() {
      if ((await store.admins.count()) > 0) return undefined;
      const code = newSetupCode();
      const expires = new Date(Date.now() + CODE_HOURS * 3600_000).toISOString();
      await store.setupCodes.add(await hashKey(normalized(code)), expires);
      return code;
    },
    async complete(input: { username: string; password: string; ip: string; code?: string }) {
      const done = () =>
        new EngineError("SETUP_DONE", "The first admin exists already: sign in instead");
      if ((await store.admins.count()) > 0) throw done();
      if (!isLoopback(input.ip)) {
        const code = normalized(input.code ?? "");
        if (code === "") {
          throw new EngineError(
            "SETUP_LOOPBACK_ONLY",
            "The setup wizard is open from this machine only, or with the setup code that aft serve printed in its log",
          );
        }
        const throttle = new Throttle(failures, [
          { key: `setup:ip:${input.ip}`, max: 10, windowMs: 15 * 60_000 },
        ]);
        await throttle.check("setup codes from this address");
        if (!(await store.setupCodes.valid(await hashKey(code), new Date().toISOString()))) {
          await throttle.fail();
          await recorder(core, { kind: "system", name: "setup", ip: input.ip })(
            "setup",
            null,
            { result: "wrong setup code" },
            "failed",
          );
          throw new EngineError(
            "SETUP_CODE_INVALID",
            "The setup code is wrong or has expired: aft serve prints a new one in its log",
          );
        }
      }
      const username = checkUsername(input.username);
      checkPassword(input.password, username);
      const created = await store.admins.createFirst({
        username,
        passwordHash: await hashPassword(input.password),
      });
      if (!created) throw done();
      const audit = recorder(core, { kind: "admin", name: username, ip: input.ip });
      await audit("setup", username, { result: "first admin created" });
      const s = await openSession(core, created, input.ip);
      return s;
    },
  });
}
