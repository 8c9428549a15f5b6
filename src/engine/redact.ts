/**
 * Removes secret values from log text. A job's redactor learns every secret (and VFS
 * credential) the job was given, and every log line passes through it before it is stored,
 * streamed or printed.
 *
 * A value is hidden as it is, JSON-escaped and URL-encoded. A value of at least
 * {@linkcode MIN_ENCODED_BYTES} bytes is also hidden in any letter case, as hex (either case),
 * and in standard and URL-safe base64, alone or inside a longer base64 text at each of the
 * three byte alignments (an `Authorization: Basic` header holds `user:password` that way);
 * the up to three base64 characters on each side that mix the value's bytes with its
 * neighbours' go too, so no byte of the value can be decoded from what is left.
 * Shorter values are hidden only as they are: their encodings are a few characters that occur
 * by chance in ordinary text, so hiding them would turn logs into noise.
 *
 * @example
 * ```ts
 * const r = new Redactor();
 * r.add("s3cr3t");
 * r.apply("token=s3cr3t"); // "token=***"
 * r.add("correct horse");
 * r.apply("auth " + btoa("me:correct horse")); // "auth ***"
 * ```
 * @module
 */

/** Values of at least this many UTF-8 bytes are also hidden encoded and in any letter case. */
export const MIN_ENCODED_BYTES = 8;

const MARK = "***";

/** Replaces known secret values with `***`. */
export class Redactor {
  /** Patterns (regex source) matched exactly (base64 is case-sensitive). */
  #exact = new Set<string>();
  /** Patterns matched in any letter case. */
  #folded = new Set<string>();
  #regexes: RegExp[] | undefined;

  /** Learns a value to hide. Empty values are ignored. */
  add(value: string | undefined | null): void {
    if (!value) return;
    const plain = [value, JSON.stringify(value).slice(1, -1), encodeURIComponent(value)]
      .map(escapeRegExp);
    for (const v of plain) this.#exact.add(v);
    const bytes = new TextEncoder().encode(value);
    if (bytes.length >= MIN_ENCODED_BYTES) {
      for (const v of plain) this.#folded.add(v);
      this.#folded.add(toHex(bytes));
      for (const v of base64Patterns(bytes)) this.#exact.add(v);
    }
    this.#regexes = undefined;
  }

  /** `text` with every known value replaced by `***`. */
  apply(text: string): string {
    if (this.#exact.size === 0) return text;
    this.#regexes ??= [alternation(this.#exact, "g"), alternation(this.#folded, "gi")]
      .filter((r): r is RegExp => r !== undefined);
    let out = text;
    for (const re of this.#regexes) out = out.replace(re, MARK);
    return out;
  }
}

/** One regex matching any of `patterns`, longest first (so a value holding another goes whole). */
function alternation(patterns: Set<string>, flags: string): RegExp | undefined {
  if (patterns.size === 0) return undefined;
  const sorted = [...patterns].sort((a, b) => b.length - a.length);
  return new RegExp(sorted.join("|"), flags);
}

function escapeRegExp(s: string): string {
  return s.replace(/[.*+?^${}()|[\]\\/-]/g, "\\$&");
}

function toHex(bytes: Uint8Array): string {
  return Array.from(bytes, (b) => b.toString(16).padStart(2, "0")).join("");
}

function base64(bytes: Uint8Array): string {
  let bin = "";
  for (const b of bytes) bin += String.fromCharCode(b);
  return btoa(bin);
}

/**
 * Patterns for the base64 texts that show `bytes`, alone or inside a longer text: at each
 * alignment, the characters that depend on the value's bytes alone (its full groups of three
 * bytes), with the up to three characters on either side that mix its bytes with others' and
 * the padding; in the standard and the URL-safe alphabet.
 */
function base64Patterns(bytes: Uint8Array): string[] {
  const out = new Set<string>();
  for (let align = 0; align < 3; align++) {
    // `align` bytes of something else share the value's first group: skip to the first group
    // that holds only the value's bytes, and stop before the last one it does not fill.
    const skip = (3 - align) % 3;
    const usable = Math.floor((bytes.length - skip) / 3) * 3;
    if (usable <= 0) continue;
    const core = base64(bytes.subarray(skip, skip + usable));
    out.add(`[A-Za-z0-9+/]{0,3}${escapeRegExp(core)}[A-Za-z0-9+/]{0,3}=*`);
    const url = core.replaceAll("+", "-").replaceAll("/", "_");
    out.add(`[A-Za-z0-9_-]{0,3}${escapeRegExp(url)}[A-Za-z0-9_-]{0,3}=*`);
  }
  return [...out];
}
