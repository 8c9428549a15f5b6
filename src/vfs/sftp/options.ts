/**
 * SFTP connection settings: the target URL and options of a VFS definition, the order of
 * authentication methods, and host key fingerprints as OpenSSH prints them.
 *
 * @module
 */

import { createHash } from "node:crypto";
import type { AuthenticationType, CipherAlgorithm } from "./ssh2.ts";
import { normalizePath } from "../path.ts";
import { type VfsDefinition, VfsError } from "../types.ts";

/** How to reach and sign in to an SFTP server. */
export interface SftpOptions {
  host: string;
  port: number;
  user: string;
  base: string;
  password?: string;
  privateKey?: string;
  passphrase?: string;
  hostKeySHA256?: string;
  readyTimeoutMs?: number;
  /** The ciphers to offer, best first; `preferredSshCiphers()` (`ciphers.ts`) when not given. */
  ciphers?: CipherAlgorithm[];
}

/** The authentication methods to try, in order: key, password, keyboard-interactive. */
export function authOrder(o: Pick<SftpOptions, "privateKey" | "password">): AuthenticationType[] {
  const order: AuthenticationType[] = [];
  if (o.privateKey !== undefined) order.push("publickey");
  if (o.password !== undefined) order.push("password", "keyboard-interactive");
  return order.length > 0 ? order : ["none"];
}

/** `SHA256:...` of a raw host key blob, as OpenSSH prints it. */
export function hostKeyFingerprint(key: Uint8Array): string {
  return "SHA256:" + createHash("sha256").update(key).digest("base64").replace(/=+$/, "");
}

/** Parses a target URL and options into connection settings. */
export function parseSftpTarget(
  def: VfsDefinition,
  secrets: Record<string, string> = {},
): SftpOptions {
  let url: URL;
  try {
    url = new URL(def.target);
  } catch {
    throw new VfsError("INVALID_PATH", `Not an sftp:// URL: "${def.target}"`);
  }
  if (url.protocol !== "sftp:") {
    throw new VfsError("INVALID_PATH", `Not an sftp:// URL: "${def.target}"`);
  }
  const o = { ...def.options, ...secrets };
  const user = decodeURIComponent(url.username) || o.user;
  if (!user) {
    throw new VfsError("INVALID_PATH", `No user in "${def.target}" (sftp://user@host/dir)`);
  }
  return {
    host: url.hostname.replace(/^\[|\]$/g, ""),
    port: url.port ? Number(url.port) : 22,
    user,
    base: normalizePath(decodeURIComponent(url.pathname) || "/"),
    password: o.pass ?? (url.password ? decodeURIComponent(url.password) : undefined),
    privateKey: o.key,
    passphrase: o.keyPassphrase,
    hostKeySHA256: o.hostKeySHA256,
  };
}
