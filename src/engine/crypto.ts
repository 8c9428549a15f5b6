/**
 * AES-256-GCM for secrets and VFS credentials at rest, with a master key kept apart from the
 * database: `$AFT_MASTER_KEY` (base64 of 32 bytes, or 64 hex digits), else `master.key` in the
 * data directory (created on first use, mode 0600).
 *
 * Ciphertext format: `v1:<base64 iv>:<base64 ciphertext and tag>`.
 *
 * @module
 */

import { join } from "../path.ts";
import { EngineError } from "./errors.ts";

const KEY_FILE = "master.key";

/** Standard base64 of `bytes`, with padding. */
export function b64(bytes: Uint8Array): string {
  let s = "";
  for (const b of bytes) s += String.fromCharCode(b);
  return btoa(s);
}

/** The bytes of standard base64 `text` (padding optional); throws on text that is not base64. */
export function unb64(text: string): Uint8Array {
  const s = atob(text);
  const out = new Uint8Array(s.length);
  for (let i = 0; i < s.length; i++) out[i] = s.charCodeAt(i);
  return out;
}

/** Parses a master key given as base64 (32 bytes) or 64 hex digits. */
export function parseMasterKey(text: string): Uint8Array {
  const t = text.trim();
  if (/^[0-9a-fA-F]{64}$/.test(t)) {
    return Uint8Array.from(t.match(/../g)!.map((h) => parseInt(h, 16)));
  }
  try {
    const bytes = unb64(t);
    if (bytes.length === 32) return bytes;
  } catch { /* not base64 */ }
  throw new EngineError(
    "MASTER_KEY",
    "The master key must be 32 bytes, as base64 or 64 hex digits (AFT_MASTER_KEY or master.key)",
  );
}

/**
 * Loads the master key: `$AFT_MASTER_KEY`, else `<dataDir>/master.key`, creating that file
 * (0600) on first use. Two processes starting at once agree on one key: the file is created
 * with `createNew`, and the loser reads the winner's.
 */
export async function loadMasterKey(dataDir: string): Promise<CryptoKey> {
  const env = Deno.env.get("AFT_MASTER_KEY");
  const raw = env ? parseMasterKey(env) : await readOrCreateKeyFile(join(dataDir, KEY_FILE));
  return await crypto.subtle.importKey("raw", raw as Uint8Array<ArrayBuffer>, "AES-GCM", false, [
    "encrypt",
    "decrypt",
  ]);
}

async function readOrCreateKeyFile(path: string): Promise<Uint8Array> {
  try {
    return parseMasterKey(await Deno.readTextFile(path));
  } catch (err) {
    if (!(err instanceof Deno.errors.NotFound)) throw err;
  }
  const tmp = `${path}.${crypto.randomUUID()}.tmp`;
  const key = crypto.getRandomValues(new Uint8Array(32));
  await Deno.writeTextFile(tmp, b64(key) + "\n", { mode: 0o600 });
  try {
    // link() fails if master.key appeared meanwhile: then the other process's key wins.
    await Deno.link(tmp, path);
    if (Deno.build.os !== "windows") await Deno.chmod(path, 0o600);
  } catch (err) {
    if (!(err instanceof Deno.errors.AlreadyExists)) throw err;
  } finally {
    await Deno.remove(tmp).catch(() => {});
  }
  return parseMasterKey(await Deno.readTextFile(path));
}

/** Encrypts a string. */
export async function encrypt(key: CryptoKey, plain: string): Promise<string> {
  const iv = crypto.getRandomValues(new Uint8Array(12));
  const ct = await crypto.subtle.encrypt(
    { name: "AES-GCM", iv },
    key,
    new TextEncoder().encode(plain),
  );
  return `v1:${b64(iv)}:${b64(new Uint8Array(ct))}`;
}

/** Decrypts what {@linkcode encrypt} produced; a wrong key or tampering gives a clear error. */
export async function decrypt(key: CryptoKey, cipher: string): Promise<string> {
  const [v, iv, ct] = cipher.split(":");
  if (v !== "v1" || !iv || !ct) {
    throw new EngineError("MASTER_KEY", "Cannot decrypt a stored value: unknown format");
  }
  try {
    const plain = await crypto.subtle.decrypt(
      { name: "AES-GCM", iv: unb64(iv) as Uint8Array<ArrayBuffer> },
      key,
      unb64(ct) as Uint8Array<ArrayBuffer>,
    );
    return new TextDecoder().decode(plain);
  } catch (err) {
    throw new EngineError(
      "MASTER_KEY",
      "Cannot decrypt secrets: the master key does not match this database",
      { cause: err },
    );
  }
}
