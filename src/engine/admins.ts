/**
 * `engine.admins`: the web console's administrators. Passwords are checked against the policy
 * (`password_strength.ts`) and kept as scrypt hashes (`passwords.ts`); two-factor sign-in is
 * TOTP (`totp.ts`) with the secret encrypted by the master key. Removing an admin ends their
 * sessions; a password change ends every other session of that admin. The last admin cannot be
 * removed (`aft reinit` is the way back to the setup wizard).
 *
 * @module
 */

import type { AdminRecord } from "../store/types.ts";
import { EngineError, guarded } from "./errors.ts";
import { nameKey } from "./canonical_names.ts";
import { checkName } from "./names.ts";
import { passwordProblems } from "./password_strength.ts";
import { hashPassword, verifyPassword } from "./passwords.ts";
import { Throttle } from "./throttle.ts";
import type { FailureOps } from "./throttle.ts";
import { matchTotp, newTotpSecret, totpUri } from "./totp.ts";
import type { EngineCore } from "./types.ts";

/** An admin as shown: no hash, no secret. */
export interface AdminView {
  id: string;
  username: string;
  createdAt: string;
  passwordChangedAt: string;
  lastSignInAt: string | null;
  /** Two-factor sign-in (TOTP) is on. */
  totp: boolean;
}

export interface AdminOps {
  /** Every admin, by name. */
  list(): Promise<AdminView[]>;
  /** ADMIN_NOT_FOUND when there is none. */
  get(id: string): Promise<AdminView>;
  /** WEAK_PASSWORD (with the reasons), INVALID_NAME, ALREADY_EXISTS. */
  create(input: { username: string; password: string }): Promise<AdminView>;
  /** Removes an admin and ends their sessions; LAST_ADMIN for the only one. */
  remove(id: string): Promise<AdminView>;
  /**
   * Changes an admin's own password after checking the current one (PASSWORD_WRONG), and ends
   * every other session of theirs (all but `keepSession`); returns how many it ended.
   */
  changePassword(
    id: string,
    input: { current: string; next: string; keepSession?: string },
  ): Promise<{ endedSessions: number }>;
  /**
   * Starts two-factor enrolment: a new secret (kept encrypted, pending until confirmed) and
   * the `otpauth://` URI for authenticator apps.
   */
  totpBegin(id: string): Promise<{ secret: string; uri: string }>;
  /** The enrolment under way (to show it again after a wrong code); undefined when none. */
  totpPending(id: string): Promise<{ secret: string; uri: string } | undefined>;
  /** Turns two-factor sign-in on with a code of the pending secret (TOTP_INVALID otherwise). */
  totpConfirm(id: string, code: string): Promise<void>;
  /** Turns two-factor sign-in off, after checking the admin's password. */
  totpDisable(id: string, password: string): Promise<void>;
}

/** The admin as shown. */
export function adminView(a: AdminRecord): AdminView {
  return {
    id: a.id,
    username: a.username,
    createdAt: a.createdAt,
    passwordChangedAt: a.passwordChangedAt,
    lastSignInAt: a.lastSignInAt,
    totp: a.totpSecretEnc !== null,
  };
}

/** The user name, checked: a name (no control characters), at most 64 characters. */
export function checkUsername(username: string): string {
  const n = checkName("user", username);
  if (n.length > 64) {
    throw new EngineError("INVALID_NAME", "A user name cannot be longer than 64 characters");
  }
  return n;
}

/** WEAK_PASSWORD, naming every reason, when the policy refuses `password`. */
export function checkPassword(password: string, username: string): void {
  const problems = passwordProblems(password, username);
  if (problems.length > 0) {
    throw new EngineError(
      "WEAK_PASSWORD",
      `The password is refused: ${
        problems.map((p) => p[0]!.toLowerCase() + p.slice(1)).join("; ")
      }`,
    );
  }
}

/** Failures of an admin's own password (re-authentication) under the sign-in account limit. */
export function accountThrottle(failures: FailureOps, username: string): Throttle {
  return new Throttle(failures, [{
    key: `signin:account:${nameKey(username)}`,
    max: 20,
    windowMs: 15 * 60_000,
  }]);
}

/** The admin operations over `core`. */
export function createAdminOps(core: EngineCore, failures: FailureOps): AdminOps {
  const store = core.store;
  const find = async (id: string) => {
    const a = await store.admins.get(id);
    if (!a) throw new EngineError("ADMIN_NOT_FOUND", `No admin with ID "${id}"`);
    return a;
  };
  /** Checks an admin's own password, throttled like sign-ins to the account. */
  const reauthenticate = async (a: AdminRecord, password: string) => {
    const t = accountThrottle(failures, a.username);
    await t.check("password checks for this account");
    if (!(await verifyPassword(password, a.passwordHash))) {
      await t.fail();
      throw new EngineError("PASSWORD_WRONG", "The current password is wrong");
    }
  };
  return guarded({
    list: async () => (await store.admins.list()).map(adminView),
    get: async (id: string) => adminView(await find(id)),
    async create(input: { username: string; password: string }) {
      const username = checkUsername(input.username);
      checkPassword(input.password, username);
      if (await store.admins.getByName(username)) {
        throw new EngineError("ALREADY_EXISTS", `An admin named "${username}" already exists`);
      }
      const passwordHash = await hashPassword(input.password);
      return adminView(await store.admins.create({ username, passwordHash }));
    },
    async remove(id: string) {
      const a = await find(id);
      const r = await store.admins.remove(id);
      if (r === "missing") throw new EngineError("ADMIN_NOT_FOUND", `No admin with ID "${id}"`);
      if (r === "last") {
        throw new EngineError(
          "LAST_ADMIN",
          `"${a.username}" is the only admin: add another before removing this one`,
        );
      }
      return adminView(a);
    },
    async changePassword(
      id: string,
      input: { current: string; next: string; keepSession?: string },
    ) {
      const a = await find(id);
      await reauthenticate(a, input.current);
      checkPassword(input.next, a.username);
      if (input.next === input.current) {
        throw new EngineError("WEAK_PASSWORD", "The new password must differ from the current one");
      }
      await store.admins.update(id, {
        passwordHash: await hashPassword(input.next),
        passwordChangedAt: new Date().toISOString(),
      });
      const endedSessions = await store.sessions.removeByAdmin(id, { except: input.keepSession });
      return { endedSessions };
    },
    async totpBegin(id: string) {
      const a = await find(id);
      const secret = newTotpSecret();
      await store.admins.update(id, { totpPendingEnc: await core.secrets.encrypt(secret) });
      return { secret, uri: totpUri(secret, a.username) };
    },
    async totpPending(id: string) {
      const a = await find(id);
      if (a.totpPendingEnc === null) return undefined;
      const secret = await core.secrets.decrypt(a.totpPendingEnc);
      return { secret, uri: totpUri(secret, a.username) };
    },
    async totpConfirm(id: string, code: string) {
      const a = await find(id);
      if (a.totpPendingEnc === null) {
        throw new EngineError(
          "TOTP_NOT_PENDING",
          "Start the two-factor set-up again: no secret is pending",
        );
      }
      const t = accountThrottle(failures, a.username);
      await t.check("two-factor codes for this account");
      const secret = await core.secrets.decrypt(a.totpPendingEnc);
      const step = await matchTotp(secret, code, Date.now());
      if (step === undefined) {
        await t.fail();
        throw new EngineError(
          "TOTP_INVALID",
          "The code does not match: check the authenticator app's clock and enter the current code",
        );
      }
      await store.admins.update(id, { totpSecretEnc: a.totpPendingEnc, totpPendingEnc: null });
      await store.admins.useTotpStep(id, step);
    },
    async totpDisable(id: string, password: string) {
      const a = await find(id);
      await reauthenticate(a, password);
      await store.admins.update(id, { totpSecretEnc: null, totpPendingEnc: null });
    },
  });
}
