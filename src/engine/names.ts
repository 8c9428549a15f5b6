/**
 * Names of what an administrator stores (scripts, VFS entries, secrets, API keys, schedules),
 * and text shown on a terminal. A name is printed in lists, logs and error messages, so it may
 * not hold control characters (a terminal acts on them: ESC sequences can rewrite the screen)
 * or bidirectional overrides (which make text read differently from what it is).
 *
 * @example
 * ```ts
 * checkName("script", "My Backup Job"); // "My Backup Job"
 * escapeControls("a\u001b[2Jb"); // "a\\u001b[2Jb"
 * ```
 * @module
 */

import { EngineError } from "./errors.ts";

/**
 * C0 and C1 control characters, DEL, the line and paragraph separators (U+2028, U+2029: many
 * tools end a line there, so a log line holding one could forge the next), and the
 * bidirectional embeddings, overrides, isolates.
 */
function unsafe(c: number): boolean {
  return c <= 0x1f || (c >= 0x7f && c <= 0x9f) || (c >= 0x2028 && c <= 0x202e) ||
    (c >= 0x2066 && c <= 0x2069);
}

/** True when `text` holds a character that `checkName` refuses. */
export function hasUnsafeCharacters(text: string): boolean {
  for (let i = 0; i < text.length; i++) if (unsafe(text.charCodeAt(i))) return true;
  return false;
}

/** What aft's IDs look like (`src/store/ids.ts`: lowercase Crockford base32), in any case. */
const ID_SHAPE = /^[0-9a-hjkmnp-tv-z]{26}$/i;

/** Longest name accepted. */
export const MAX_NAME = 200;

/**
 * The name, trimmed and in Unicode NFC, when it is a usable name for a `what` ("script", "VFS",
 * ...); throws EngineError INVALID_NAME saying why otherwise.
 */
export function checkName(what: string, name: string): string {
  // Canonical in NFC: "café" with U+00E9 and "cafe" + U+0301 are one name (canonical_names.ts).
  const n = name.trim().normalize("NFC");
  const a = /^[AEIOaeio]/.test(what) ? "An" : "A";
  if (n === "") throw new EngineError("INVALID_NAME", `${a} ${what} name cannot be empty`);
  if (n.length > MAX_NAME) {
    throw new EngineError(
      "INVALID_NAME",
      `${a} ${what} name cannot be longer than ${MAX_NAME} characters`,
    );
  }
  if (n === "." || n === "..") {
    // Names are path segments of the console's and the REST API's addresses, and clients
    // (browsers, curl) resolve "." and ".." there before sending: the name's page would be
    // another one.
    throw new EngineError("INVALID_NAME", `${a} ${what} name cannot be "${n}"`);
  }
  if (ID_SHAPE.test(n)) {
    // Where one is looked up, an ID and a name are both taken: a name shaped like another
    // record's ID would make `aft apikey rm NAME` or `aft script rm NAME` act on that one.
    throw new EngineError(
      "INVALID_NAME",
      `${a} ${what} name cannot have the form of an ID (26 letters and digits, as aft's IDs): "${n}"`,
    );
  }
  if (hasUnsafeCharacters(n)) {
    throw new EngineError(
      "INVALID_NAME",
      `${a} ${what} name cannot hold control characters or bidirectional overrides: "${
        escapeControls(n)
      }"`,
    );
  }
  return n;
}

/**
 * `text` safe to print on a terminal: control characters and bidirectional overrides become
 * `\uXXXX`. With `keepLines`, tabs and line feeds stay (for logs and script sources).
 */
export function escapeControls(text: string, opts: { keepLines?: boolean } = {}): string {
  if (!hasUnsafeCharacters(text)) return text;
  let out = "";
  for (const ch of text) {
    const c = ch.charCodeAt(0);
    const kept = opts.keepLines && (c === 0x09 || c === 0x0a);
    out += unsafe(c) && !kept ? `\\u${c.toString(16).padStart(4, "0")}` : ch;
  }
  return out;
}

/**
 * The `Content-Disposition` of a download named `name` (RFC 6266, RFC 8187): an ASCII
 * fallback and the exact name percent-encoded, so no name can break out of the header.
 */
export function contentDisposition(name: string): string {
  const ascii = name.replace(/[^\x20-\x7e]|["\\%;]/g, "_") || "download";
  const exact = encodeURIComponent(name).replace(
    /['()*]/g,
    (ch) => `%${ch.charCodeAt(0).toString(16).toUpperCase()}`,
  );
  return `attachment; filename="${ascii}"; filename*=UTF-8''${exact}`;
}
