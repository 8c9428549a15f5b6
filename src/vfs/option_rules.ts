/**
 * Which options each backend type reads, and the checks on their values that need no
 * connection: so that a VFS Library entry with a misspelt option (`idleTimeoutSecond=30`, read
 * by nobody, the default then applying unseen) or a bad value (`partSizeMiB=2`, refused only
 * when a job opened it) is refused when it is added, with what is wrong. Kept apart from the
 * backends, which load their client libraries: the check must not.
 *
 * `NAMESecret` (a secret's name, resolved when the VFS opens) is taken for every option `NAME`
 * of the type.
 *
 * @module
 */

import { idleTimeoutOption } from "./idle_timeout.ts";
import { transferOptions } from "./object_store/ranged.ts";
import { VfsError } from "./types.ts";

/** What the three object stores read alike. */
const OBJECT_STORE = ["partSizeMiB", "concurrency", "idleTimeoutSeconds"];

/** The options of each library backend type, as the README's table of backends lists them. */
export const VFS_OPTIONS: Readonly<Record<string, readonly string[]>> = {
  disk: [],
  sftp: ["user", "pass", "key", "keyFile", "keyPassphrase", "hostKeySHA256", "idleTimeoutSeconds"],
  ftp: ["user", "pass", "tls", "tlsInsecure", "caFile"],
  ftps: ["user", "pass", "tls", "tlsInsecure", "caFile"],
  s3: [
    "accessKeyId",
    "secretAccessKey",
    "sessionToken",
    "caFile",
    "region",
    "endpoint",
    "forcePathStyle",
    ...OBJECT_STORE,
  ],
  azure: ["accountKey", "sasToken", "endpoint", ...OBJECT_STORE],
  gcs: ["credentials", "credentialsFile", "projectId", "endpoint", ...OBJECT_STORE],
};

/** The option a key stands for: `pass` for `passSecret` (a secret's name), else the key. */
function optionOf(key: string): string {
  return key.endsWith("Secret") && key !== "Secret" ? key.slice(0, -"Secret".length) : key;
}

/** True when a VFS of `type` reads option `key` (`NAMESecret` included); any key of another type. */
export function isVfsOption(type: string, key: string): boolean {
  const known = VFS_OPTIONS[type];
  return !known || known.includes(optionOf(key));
}

/** Edit distance of two short strings (for "did you mean"). */
function distance(a: string, b: string): number {
  let prev = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i++) {
    const cur = [i];
    for (let j = 1; j <= b.length; j++) {
      cur[j] = Math.min(
        prev[j]! + 1,
        cur[j - 1]! + 1,
        prev[j - 1]! + (a[i - 1] === b[j - 1] ? 0 : 1),
      );
    }
    prev = cur;
  }
  return prev[b.length]!;
}

function invalid(message: string): VfsError {
  return new VfsError("INVALID_PATH", message);
}

/** Throws unless `value` is empty, "true" or "false". */
function flag(key: string, value: string): void {
  if (value !== "" && value !== "true" && value !== "false") {
    throw invalid(`The "${key}" option takes true or false, not "${value}"`);
  }
}

/**
 * Checks the option names of a definition of `type` against the options it reads, and the
 * values that can be checked without a connection. Throws a VfsError saying what is wrong.
 */
export function checkVfsOptions(type: string, options: Record<string, unknown>): void {
  const known = VFS_OPTIONS[type];
  if (!known) return; // the type itself is checked by the caller
  for (const [key, value] of Object.entries(options)) {
    const base = optionOf(key);
    if (known.includes(base)) {
      if (typeof value !== "string") {
        throw invalid(`The "${key}" option must be text, not ${JSON.stringify(value)}`);
      }
      if (base !== key && value.trim() === "") {
        throw invalid(`The "${key}" option names a secret: give the secret's name`);
      }
      continue;
    }
    if (known.length === 0) {
      throw invalid(`VFS type ${type} takes no options, not "${key}"`);
    }
    const near = known.find((k) => distance(k.toLowerCase(), base.toLowerCase()) <= 2);
    throw invalid(
      `Unknown option "${key}" for VFS type ${type}${near ? ` (did you mean "${near}"?)` : ""}: ` +
        `it takes ${known.join(", ")}, and NAMESecret for any of them`,
    );
  }
  const o = options as Record<string, string>;
  if (known.includes("idleTimeoutSeconds")) idleTimeoutOption(o.idleTimeoutSeconds);
  if (known.includes("partSizeMiB")) {
    try {
      transferOptions(o);
    } catch (err) {
      throw invalid((err as Error).message);
    }
  }
  if (o.tls !== undefined && !["none", "explicit", "implicit"].includes(o.tls)) {
    throw invalid(`The "tls" option takes none, explicit or implicit, not "${o.tls}"`);
  }
  for (const key of ["tlsInsecure", "forcePathStyle"]) {
    if (known.includes(key) && o[key] !== undefined) flag(key, o[key]);
  }
}
