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
 * A line cut to the log's line limit may end inside a value, which then matches no pattern:
 * {@linkcode Redactor.applyBeforeCut} also hides an end of the text that could be the start
 * of a known value in any of its forms.
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

/** One written form of a value (as it is, JSON-escaped, hex, a base64 core, ...). */
interface Form {
  text: string;
  /** Matched in any letter case. */
  folded: boolean;
  /** A base64 core: up to three characters before it mix the value's bytes with others'. */
  base64: boolean;
}

/** Replaces known secret values with `***`. */
export class Redactor {
  /** Patterns (regex source) matched exactly (base64 is case-sensitive). */
  #exact = new Set<string>();
  /** Patterns matched in any letter case. */
  #folded = new Set<string>();
  #regexes: RegExp[] | undefined;
  /** Every form as text, for the end of a cut line (`applyBeforeCut`). */
  #forms = new Map<string, Form>();

  /** Learns a value to hide. Empty values are ignored. */
  add(value: string | undefined | null): void {
    if (!value) return;
    const plain = [value, JSON.stringify(value).slice(1, -1), encodeURIComponent(value)];
    for (const v of plain) this.#exact.add(escapeRegExp(v));
    const bytes = new TextEncoder().encode(value);
    const long = bytes.length >= MIN_ENCODED_BYTES;
    for (const v of plain) this.#form({ text: v, folded: long, base64: false });
    if (long) {
      for (const v of plain) this.#folded.add(escapeRegExp(v));
      this.#folded.add(toHex(bytes));
      this.#form({ text: toHex(bytes), folded: true, base64: false });
      for (const core of base64Cores(bytes)) {
        this.#exact.add(`[A-Za-z0-9+/]{0,3}${escapeRegExp(core)}[A-Za-z0-9+/]{0,3}=*`);
        const url = core.replaceAll("+", "-").replaceAll("/", "_");
        this.#exact.add(`[A-Za-z0-9_-]{0,3}${escapeRegExp(url)}[A-Za-z0-9_-]{0,3}=*`);
        this.#form({ text: core, folded: false, base64: true });
        this.#form({ text: url, folded: false, base64: true });
      }
    }
    this.#regexes = undefined;
  }

  #form(f: Form): void {
    const key = `${f.folded ? "i" : "e"}${f.text}`;
    const had = this.#forms.get(key);
    this.#forms.set(key, { ...f, base64: f.base64 || (had?.base64 ?? false) });
  }

  /**
   * `head`, the start of a line whose rest was cut off, with every known value hidden, and its
   * end too when that end could be the start of a known value (in any form) that the cut
   * split: those characters go, with the up to three base64 characters before a base64 form
   * that mix its bytes with others', and the line ends with `***`.
   */
  applyBeforeCut(head: string): string {
    const out = this.apply(head);
    let hide = 0;
    for (const f of this.#forms.values()) {
      let n = overlap(out, f.text, f.folded);
      if (n === 0) continue;
      if (f.base64) {
        const before = out.slice(Math.max(0, out.length - n - 3), out.length - n);
        n += /[A-Za-z0-9+/_-]{0,3}$/.exec(before)![0].length;
      }
      hide = Math.max(hide, n);
    }
    return hide === 0 ? out : out.slice(0, out.length - hide) + MARK;
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
 * The base64 texts that show `bytes` inside a longer base64 text, one for each alignment: the
 * characters that depend on the value's bytes alone (its full groups of three bytes). The
 * patterns add the up to three characters on either side that mix its bytes with others' and
 * the padding, in the standard and the URL-safe alphabet.
 */
function base64Cores(bytes: Uint8Array): string[] {
  const out = new Set<string>();
  for (let align = 0; align < 3; align++) {
    // `align` bytes of something else share the value's first group: skip to the first group
    // that holds only the value's bytes, and stop before the last one it does not fill.
    const skip = (3 - align) % 3;
    const usable = Math.floor((bytes.length - skip) / 3) * 3;
    if (usable <= 0) continue;
    out.add(base64(bytes.subarray(skip, skip + usable)));
  }
  return [...out];
}

/** `s` in lower case, each character only where that keeps its length (so indexes agree). */
function fold(s: string): string {
  let out = "";
  for (const c of s) {
    const l = c.toLowerCase();
    out += l.length === c.length ? l : c;
  }
  return out;
}

/**
 * The length of the longest start of `form` that `text` ends with (0 when none): the prefix
 * function of `form`, run over the end of `text`.
 */
function overlap(text: string, form: string, folded: boolean): number {
  const p = folded ? fold(form) : form;
  const t = folded ? fold(text.slice(-p.length)) : text.slice(-p.length);
  const pi = new Array<number>(p.length).fill(0);
  for (let i = 1, k = 0; i < p.length; i++) {
    while (k > 0 && p[i] !== p[k]) k = pi[k - 1]!;
    if (p[i] === p[k]) k++;
    pi[i] = k;
  }
  let k = 0;
  for (let i = 0; i < t.length; i++) {
    while (k > 0 && (k === p.length || t[i] !== p[k])) k = pi[k - 1]!;
    if (t[i] === p[k]) k++;
  }
  return k;
}
