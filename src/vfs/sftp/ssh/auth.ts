/**
 * SSH user authentication (RFC 4252, RFC 4256 keyboard-interactive): a key, then a password,
 * then keyboard-interactive answered with the password, in that order and only those the
 * caller has credentials for.
 *
 * A key is offered with its signature at once, not first asked about without one (RFC 4252 7
 * allows both): one round trip fewer, and a server that does not take the key says so the same
 * way. An RSA key signs with the best algorithm the server lists in `server-sig-algs`
 * (RFC 8308), else with rsa-sha2-256, and falls back to the next one on refusal.
 *
 * @module
 */

import type { UserKey } from "./keys.ts";
import { MSG } from "./messages.ts";
import type { SshTransport } from "./transport.ts";
import { SshReader, SshWriter } from "./wire.ts";

/** What to sign in with. */
export interface Credentials {
  user: string;
  key?: UserKey;
  password?: string;
}

/** The server took none of the credentials given. */
export class AuthFailed extends Error {
  override name = "AuthFailed";
  /** Read by `../_map_error.ts`, as it was for ssh2's error. */
  readonly level = "client-authentication";
}

/** Keyboard-interactive rounds answered before giving up (a server that keeps asking). */
const MAX_ROUNDS = 8;

/** Signs in; resolves once the server says so, rejects with {@linkcode AuthFailed} otherwise. */
export async function authenticate(t: SshTransport, c: Credentials): Promise<void> {
  await signIn(t, c);
  t.authenticated();
}

async function signIn(t: SshTransport, c: Credentials): Promise<void> {
  t.send(new SshWriter(32).byte(MSG.SERVICE_REQUEST).string("ssh-userauth").finish());
  const accept = await nextAuthMessage(t);
  if (accept[0] !== MSG.SERVICE_ACCEPT) {
    throw new Error(`The server answered the authentication service request with ${accept[0]}`);
  }
  const request = (method: string) =>
    new SshWriter(512).byte(MSG.USERAUTH_REQUEST).string(c.user).string("ssh-connection")
      .string(method);
  /** The server's answer to one attempt: true on success; the methods it still takes else. */
  let allowed: string[] | undefined;
  const answer = async (): Promise<boolean> => {
    for (;;) {
      const m = await nextAuthMessage(t);
      if (m[0] === MSG.USERAUTH_SUCCESS) return true;
      if (m[0] === MSG.USERAUTH_FAILURE) {
        allowed = new SshReader(m, 1).nameList();
        return false;
      }
      if (m[0] === MSG.USERAUTH_60) return false; // a password change request: not done here
      throw new Error(`Unexpected message ${m[0]} during authentication`);
    }
  };
  const may = (method: string) => allowed === undefined || allowed.includes(method);

  for (const method of authOrder({ key: c.key, password: c.password })) {
    if (!may(method)) continue;
    if (method === "none") {
      t.send(request("none").finish());
      if (await answer()) return;
    } else if (method === "publickey") {
      const key = c.key!;
      for (const algorithm of keyAlgorithms(key, t.serverSigAlgs)) {
        const signed = new SshWriter(512).string(t.sessionId).byte(MSG.USERAUTH_REQUEST)
          .string(c.user).string("ssh-connection").string("publickey").bool(true)
          .string(algorithm).string(key.publicBlob).finish();
        const sig = await key.sign(algorithm, signed);
        t.send(
          request("publickey").bool(true).string(algorithm).string(key.publicBlob).string(sig)
            .finish(),
        );
        if (await answer()) return;
        if (!may("publickey")) break;
      }
    } else if (method === "password") {
      t.send(request("password").bool(false).string(c.password!).finish());
      if (await answer()) return;
    } else if (await keyboardInteractive(t, request("keyboard-interactive"), c.password!)) {
      return;
    }
  }
  throw new AuthFailed("All configured authentication methods failed");
}

/**
 * The methods tried, in order: the key, then the password, then keyboard-interactive answered
 * with the password (a stale password so costs no failed login where the key works); "none"
 * only without any credential (ssh2 used to send it first, a round trip to learn what the
 * server takes).
 */
export function authOrder(c: { key?: unknown; password?: string }): string[] {
  const order: string[] = [];
  if (c.key !== undefined) order.push("publickey");
  if (c.password !== undefined) order.push("password", "keyboard-interactive");
  return order.length > 0 ? order : ["none"];
}

/** Keyboard-interactive, every question answered with `password`; true once signed in. */
async function keyboardInteractive(
  t: SshTransport,
  request: SshWriter,
  password: string,
): Promise<boolean> {
  t.send(request.string("").string("").finish());
  for (let round = 0; round < MAX_ROUNDS; round++) {
    const m = await nextAuthMessage(t);
    if (m[0] === MSG.USERAUTH_SUCCESS) return true;
    if (m[0] === MSG.USERAUTH_FAILURE) return false;
    if (m[0] !== MSG.USERAUTH_60) {
      throw new Error(`Unexpected message ${m[0]} during keyboard-interactive`);
    }
    const r = new SshReader(m, 1);
    r.string(); // name
    r.string(); // instruction
    r.string(); // language
    const n = r.u32();
    if (n > 64) throw new Error(`The server asked ${n} questions at once`);
    const w = new SshWriter(256).byte(MSG.USERAUTH_INFO_RESPONSE).u32(n);
    for (let i = 0; i < n; i++) {
      r.string(); // prompt
      r.bool(); // echo
      w.string(password);
    }
    t.send(w.finish());
  }
  return false;
}

/** The next authentication message, banners skipped. */
async function nextAuthMessage(t: SshTransport): Promise<Uint8Array> {
  for (;;) {
    const m = await t.next();
    if (m[0] !== MSG.USERAUTH_BANNER) return m;
  }
}

/** The signature algorithms to try for `key`, best first, by what the server said it takes. */
export function keyAlgorithms(key: UserKey, serverSigAlgs: string[] | undefined): string[] {
  if (key.type !== "ssh-rsa") return [key.algorithms[0]!];
  if (serverSigAlgs) {
    const listed = key.algorithms.filter((a) => serverSigAlgs.includes(a));
    if (listed.length > 0) return listed;
  }
  // Nothing said: SHA-256 is what servers since OpenSSH 7.2 take; SHA-1 for older ones.
  return ["rsa-sha2-256", "ssh-rsa"];
}
