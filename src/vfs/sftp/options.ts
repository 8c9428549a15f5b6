/**
 * SFTP connection settings: the target URL and options of a VFS definition.
 *
 * @module
 */

import { normalizePath } from "../path.ts";
import { idleTimeoutOption } from "../idle_timeout.ts";
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
  /**
   * Option `idleTimeoutSeconds` (`../idle_timeout.ts`): requests that wait this long with
   * nothing at all from the server fail the connection (the client's `stallMs`).
   */
  idleTimeoutMs?: number;
  /** The ciphers to offer, best first; `preferredCiphers()` (`./ssh/cipher.ts`) when not given. */
  ciphers?: string[];
  /** For tests: the MACs, key exchange methods and host key algorithms to offer. */
  macs?: string[];
  kex?: string[];
  hostKeyAlgorithms?: string[];
  /** For tests: "webcrypto" to use WebCrypto's AES even where OpenSSL's loads. */
  cipherBackend?: "openssl" | "webcrypto";
}

/**
 * Parses a target URL and options into connection settings. Options named by secrets
 * (`passSecret`) must already stand resolved (`pass`), as the registry's `openVfs` leaves them.
 */
export function parseSftpTarget(def: VfsDefinition): SftpOptions {
  let url: URL;
  try {
    url = new URL(def.target);
  } catch {
    throw new VfsError("INVALID_PATH", `Not an sftp:// URL: "${def.target}"`);
  }
  if (url.protocol !== "sftp:") {
    throw new VfsError("INVALID_PATH", `Not an sftp:// URL: "${def.target}"`);
  }
  const o = def.options;
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
    idleTimeoutMs: idleTimeoutOption(o.idleTimeoutSeconds),
  };
}
