/**
 * `engine.sessions`: signing in to the web console and the sessions it opens. A session token
 * is 256 random bits that only the browser holds (in a cookie); the store keeps its SHA-256, so
 * a copy of the database opens no session. A session lasts `sessionLifetimeMinutes` from
 * sign-in (the setting as it is now: shortening it shortens open sessions too) and ends at
 * sign-out, at a password change (the admin's other sessions), or when its admin is removed.
 *
 * Sign-in is throttled on failures only, and never for other accounts: at most 5 failures per
 * account and address, 20 per account, and 50 per address in 15 minutes, counted in the store so
 * every node sees them. An account with two-factor sign-in gets a ticket after its password (a
 * 5-minute stage of a session that opens nothing) to trade with a code.
 *
 * @module
 */

import { nameKey } from "./canonical_names.ts";
import type { AdminRecord, SessionRecord } from "../store/types.ts";
import { type AdminView, adminView } from "./admins.ts";
import type { Actor, AuditRecorder } from "./audit.ts";
import { recorder } from "./audit.ts";
import { EngineError, guarded } from "./errors.ts";
import { hashKey } from "./hash.ts";
import { burnVerification, verifyPassword } from "./passwords.ts";
import { type FailureOps, Throttle } from "./throttle.ts";
import { matchTotp } from "./totp.ts";
import type { EngineCore } from "./types.ts";

/** A session as shown: no token, no hash. */
export interface SessionView {
  id: string;
  adminId: string;
  ip: string;
  createdAt: string;
  expiresAt: string;
}

/** A session just opened: the token goes to the browser, once. */
export interface SignedIn {
  token: string;
  session: SessionView;
  admin: AdminView;
}

/** What a correct password gives: a session, or a ticket for the two-factor step. */
export type SignInResult =
  | ({ status: "signed-in" } & SignedIn)
  | { status: "totp"; ticket: string; username: string; expiresAt: string };

export interface SessionOps {
  /**
   * Checks a user name and password from `ip`. SIGNIN_FAILED (the same answer for an unknown
   * name and a wrong password), TOO_MANY_FAILURES with `retryAfter`.
   */
  signIn(input: { username: string; password: string; ip: string }): Promise<SignInResult>;
  /** Trades a two-factor ticket and its TOTP code for a session. */
  signInTotp(input: { ticket: string; code: string; ip: string }): Promise<SignedIn>;
  /** The session a token opens and its admin; undefined when it opens none (any more). */
  check(token: string): Promise<{ session: SessionView; admin: AdminView } | undefined>;
  /** Ends the session of a token (sign-out); recorded in the audit log. */
  signOut(token: string, ip: string): Promise<void>;
  /** Open sessions, newest first. */
  list(): Promise<SessionView[]>;
}

/** Minutes a two-factor ticket lasts. */
const TICKET_MINUTES = 5;
const WINDOW = 15 * 60_000;

/** The sign-in limits for an attempt on `username` from `ip`. */
export function signInThrottle(failures: FailureOps, username: string, ip: string): Throttle {
  // Either Unicode spelling of a user name is the same account (canonical_names.ts).
  const u = nameKey(username);
  return new Throttle(failures, [
    { key: `signin:pair:${u}\n${ip}`, max: 5, windowMs: WINDOW },
    { key: `signin:account:${u}`, max: 20, windowMs: WINDOW },
    { key: `signin:ip:${ip}`, max: 50, windowMs: WINDOW },
  ]);
}

/** A new random token (256 bits, base64url). */
export function newToken(): string {
  const b = crypto.getRandomValues(new Uint8Array(32));
  return btoa(String.fromCharCode(...b)).replace(/\+/g, "-").replace(/\//g, "_").replace(/=+$/, "");
}

export function sessionView(s: SessionRecord): SessionView {
  return {
    id: s.id,
    adminId: s.adminId,
    ip: s.ip,
    createdAt: s.createdAt,
    expiresAt: s.expiresAt,
  };
}

/** Opens a session for `admin` from `ip` (sign-in, the setup wizard). */
export async function openSession(
  core: EngineCore,
  admin: AdminRecord,
  ip: string,
): Promise<SignedIn> {
  const token = newToken();
  const { sessionLifetimeMinutes } = await core.settings();
  const now = Date.now();
  // Both times from one clock reading: the session lasts exactly sessionLifetimeMinutes.
  const rec = await core.store.sessions.create({
    adminId: admin.id,
    tokenHash: await hashKey(token),
    stage: "active",
    ip,
    createdAt: new Date(now).toISOString(),
    expiresAt: new Date(now + sessionLifetimeMinutes * 60_000).toISOString(),
  });
  const signedIn = new Date(now).toISOString();
  const updated = await core.store.admins.update(admin.id, { lastSignInAt: signedIn });
  return { token, session: sessionView(rec), admin: adminView(updated) };
}

/** The session operations over `core`. */
export function createSessionOps(core: EngineCore, failures: FailureOps): SessionOps {
  const store = core.store;
  const audit = (name: string, ip: string): AuditRecorder =>
    recorder(core, { kind: "admin", name, ip } satisfies Actor);

  /** The session row of a token, when it exists in `stage` and has not expired. */
  const live = async (token: string, stage: SessionRecord["stage"]) => {
    if (typeof token !== "string" || token.length < 20 || token.length > 100) return undefined;
    const rec = await store.sessions.getByHash(await hashKey(token));
    if (!rec || rec.stage !== stage) return undefined;
    const now = Date.now();
    if (Date.parse(rec.expiresAt) <= now) return undefined;
    if (stage === "active") {
      const { sessionLifetimeMinutes } = await core.settings();
      if (Date.parse(rec.createdAt) + sessionLifetimeMinutes * 60_000 <= now) return undefined;
    }
    return rec;
  };

  return guarded({
    async signIn(input: { username: string; password: string; ip: string }) {
      const name = String(input.username ?? "").trim();
      const throttle = signInThrottle(failures, name, input.ip);
      const admin = name === "" || name.length > 200
        ? undefined
        : await store.admins.getByName(name);
      // Unknown names are recorded as such: people type passwords into the name field.
      const who = admin?.username ?? "(unknown user)";
      const wait = await throttle.blockedFor();
      if (wait > 0) {
        await audit(who, input.ip)(
          "signin",
          admin?.username ?? null,
          { result: "throttled" },
          "failed",
        );
        await throttle.check("sign-ins for this account from this address");
      }
      const ok = admin
        ? await verifyPassword(String(input.password ?? ""), admin.passwordHash)
        : await burnVerification(String(input.password ?? ""));
      if (!admin || !ok) {
        await throttle.fail();
        await audit(who, input.ip)("signin", admin?.username ?? null, {
          result: admin ? "wrong password" : "unknown user",
        }, "failed");
        throw new EngineError("SIGNIN_FAILED", "The user name or the password is wrong");
      }
      if (admin.totpSecretEnc !== null) {
        const ticket = newToken();
        const expiresAt = new Date(Date.now() + TICKET_MINUTES * 60_000).toISOString();
        await store.sessions.create({
          adminId: admin.id,
          tokenHash: await hashKey(ticket),
          stage: "totp",
          ip: input.ip,
          expiresAt,
        });
        return { status: "totp" as const, ticket, username: admin.username, expiresAt };
      }
      await failures.clear(throttle.limits[0]!.key);
      const s = await openSession(core, admin, input.ip);
      await audit(admin.username, input.ip)("signin", admin.username, { result: "signed in" });
      return { status: "signed-in" as const, ...s };
    },

    async signInTotp(input: { ticket: string; code: string; ip: string }) {
      const ticket = await live(input.ticket, "totp");
      const admin = ticket && await store.admins.get(ticket.adminId);
      if (!ticket || !admin || admin.totpSecretEnc === null) {
        throw new EngineError(
          "SIGNIN_FAILED",
          "The sign-in has expired or was not started: enter the user name and password again",
        );
      }
      const throttle = signInThrottle(failures, admin.username, input.ip);
      if (await throttle.blockedFor() > 0) {
        await audit(admin.username, input.ip)("signin", admin.username, {
          result: "throttled",
          step: "two-factor code",
        }, "failed");
        await throttle.check("sign-ins for this account from this address");
      }
      const secret = await core.secrets.decrypt(admin.totpSecretEnc);
      const step = await matchTotp(secret, String(input.code ?? ""), Date.now());
      // A code is good once: a step at or before the last one used is refused.
      if (step === undefined || !(await store.admins.useTotpStep(admin.id, step))) {
        await throttle.fail();
        await audit(admin.username, input.ip)("signin", admin.username, {
          result: "wrong two-factor code",
        }, "failed");
        throw new EngineError("TOTP_INVALID", "The two-factor code is wrong or was used already");
      }
      await store.sessions.remove(ticket.id);
      await failures.clear(throttle.limits[0]!.key);
      const s = await openSession(core, admin, input.ip);
      await audit(admin.username, input.ip)("signin", admin.username, {
        result: "signed in",
        twoFactor: true,
      });
      return s;
    },

    async check(token: string) {
      const rec = await live(token, "active");
      const admin = rec && await store.admins.get(rec.adminId);
      if (!rec || !admin) return undefined;
      return { session: sessionView(rec), admin: adminView(admin) };
    },

    async signOut(token: string, ip: string) {
      const rec = await live(token, "active");
      if (!rec) return;
      await store.sessions.remove(rec.id);
      const admin = await store.admins.get(rec.adminId);
      if (admin) await audit(admin.username, ip)("signout", admin.username);
    },

    list: async () =>
      (await store.sessions.list(new Date().toISOString())).filter((s) => s.stage === "active").map(
        sessionView,
      ),
  });
}
