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
  /** Every form of every value, by its text and whether any letter case matches it. */
  #forms = new Map<string, Form>();
  /** The forms as searched for: folded ones in lower case; made again after each `add`. */
  #needles: Form[] | undefined;

  /** Learns a value to hide. Empty values are ignored. */
  add(value: string | undefined | null): void {
    if (!value) return;
    const plain = [value, JSON.stringify(value).slice(1, -1), encodeURIComponent(value)];
    const bytes = new TextEncoder().encode(value);
    const long = bytes.length >= MIN_ENCODED_BYTES;
    for (const v of plain) this.#form({ text: v, folded: long, base64: false });
    if (long) {
      this.#form({ text: toHex(bytes), folded: true, base64: false });
      for (const core of base64Cores(bytes)) {
        this.#form({ text: core, folded: false, base64: true });
        const url = core.replaceAll("+", "-").replaceAll("/", "_");
        this.#form({ text: url, folded: false, base64: true });
      }
    }
    this.#needles = undefined;
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
      if (f.base64) n += base64Before(out, out.length - n);
      hide = Math.max(hide, n);
    }
    return hide === 0 ? out : out.slice(0, out.length - hide) + MARK;
  }

  /**
   * `text` with every known value replaced by `***`: where forms overlap (a value holding
   * another, or two values side by side sharing characters), the whole stretch they cover.
   *
   * Plain string search, not one regular expression of all the forms: V8 refuses a pattern
   * with a literal of 32 Ki characters or more ("Regular expression too large"), which a
   * 16 KiB secret's hex form is, and compiling the alternation of a few kilobyte-long values
   * (keys, certificates) took 0.1 s.
   */
  apply(text: string): string {
    if (this.#forms.size === 0 || text.length === 0) return text;
    this.#needles ??= [...this.#forms.values()].map((f) =>
      f.folded ? { ...f, text: fold(f.text) } : f
    );
    let lower: string | undefined;
    const spans: [number, number][] = [];
    for (const f of this.#needles) {
      if (f.text.length > text.length) continue;
      const hay = f.folded ? (lower ??= foldText(text)) : text;
      for (let at = hay.indexOf(f.text); at >= 0; at = hay.indexOf(f.text, at + 1)) {
        let end = at + f.text.length;
        let start = at;
        if (f.base64) {
          start -= base64Before(text, at);
          end += base64After(text, end);
        }
        spans.push([start, end]);
      }
    }
    if (spans.length === 0) return text;
    spans.sort((a, b) => a[0] - b[0] || b[1] - a[1]);
    let out = "";
    let done = 0;
    for (const [start, end] of spans) {
      if (end <= done) continue;
      if (start >= done) {
        out += text.slice(done, start) + MARK;
      }
      done = end;
    }
    return out + text.slice(done);
  }
}

const BASE64_CHAR = /[A-Za-z0-9+/_-]/;

/**
 * How many of the up to three characters before `at` are base64 (either alphabet): those
 * mix a base64 form's first bytes with the bytes before the value.
 */
function base64Before(text: string, at: number): number {
  let n = 0;
  while (n < 3 && at - n > 0 && BASE64_CHAR.test(text[at - n - 1]!)) n++;
  return n;
}

/** The up to three base64 characters after `at` (its last bytes mixed with others'), then padding. */
function base64After(text: string, at: number): number {
  let n = 0;
  while (n < 3 && at + n < text.length && BASE64_CHAR.test(text[at + n]!)) n++;
  while (text[at + n] === "=") n++;
  return n;
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

/**
 * `text` in lower case with its indexes kept: ASCII text at once, other text as `fold` does
 * (a whole string's `toLowerCase` may lengthen it, and lowers a final sigma by its context).
 */
function foldText(text: string): string {
  return /^\p{ASCII}*$/u.test(text) ? text.toLowerCase() : fold(text);
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
