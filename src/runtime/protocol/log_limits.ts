/**
 * The bounds of a job's log (settings `logMaxLineBytes` and `logMaxBytesPerJob`), applied the
 * same way in the script's Worker (so a flood or a huge line never leaves it) and in the
 * parent (for every line, the host's and the engine's included).
 *
 * - A line longer than `maxLineBytes` (UTF-8) is cut, and ends with a note of its full size,
 *   the whole staying within `maxLineBytes`. The Worker sends the kept start of a cut line
 *   without the note ({@linkcode AdmittedLine}): the parent redacts it, hides an end that
 *   could be the start of a secret the cut split, and only then adds the note.
 * - Each kept line counts its text's UTF-8 bytes plus {@linkcode LINE_OVERHEAD_BYTES} (its
 *   time, level and number, so a flood of one-letter lines is bounded too). Once the job's
 *   count has reached `maxBytes`, further lines are dropped and counted; the engine ends the
 *   log with one line saying how many lines and bytes were dropped.
 *
 * @example
 * ```ts
 * const budget = new LogBudget({ maxLineBytes: 1024, maxBytes: 1 << 20 });
 * budget.admit("x".repeat(5000)); // cut to 1,024 bytes, ending with a note
 * ```
 * @module
 */

/** Default of the setting `logMaxLineBytes`. */
export const DEFAULT_LOG_MAX_LINE_BYTES = 65536;
/** Default of the setting `logMaxBytesPerJob`. */
export const DEFAULT_LOG_MAX_BYTES_PER_JOB = 67108864;
/** What a line counts for besides its text. */
export const LINE_OVERHEAD_BYTES = 32;

/** The bounds of one job's log. */
export interface LogLimits {
  /** Longest line kept whole, in UTF-8 bytes. */
  maxLineBytes: number;
  /** Bytes of log (text plus {@linkcode LINE_OVERHEAD_BYTES} a line) a job keeps. */
  maxBytes: number;
}

/** Lines and bytes (of their text) dropped over the job's limit. */
export interface LogDropped {
  lines: number;
  bytes: number;
}

/** UTF-8 length of `s` (a lone surrogate counts 3, as TextEncoder writes U+FFFD). */
export function utf8Length(s: string): number {
  let n = s.length;
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c < 0x80) continue;
    if (c < 0x800) n += 1;
    else if (c >= 0xd800 && c <= 0xdbff && i + 1 < s.length) {
      const d = s.charCodeAt(i + 1);
      if (d >= 0xdc00 && d <= 0xdfff) {
        n += 2; // four bytes for two code units
        i++;
        continue;
      }
      n += 2;
    } else n += 2;
  }
  return n;
}

/** The longest prefix of `s` of at most `max` UTF-8 bytes, not splitting a surrogate pair. */
function prefixBytes(s: string, max: number): string {
  let bytes = 0;
  let i = 0;
  while (i < s.length) {
    const c = s.charCodeAt(i);
    const pair = c >= 0xd800 && c <= 0xdbff && i + 1 < s.length &&
      (s.charCodeAt(i + 1) & 0xfc00) === 0xdc00;
    const w = c < 0x80 ? 1 : c < 0x800 ? 2 : pair ? 4 : 3;
    if (bytes + w > max) break;
    bytes += w;
    i += pair ? 2 : 1;
  }
  return s.slice(0, i);
}

/** The note that ends a line of `bytes` cut to `maxLineBytes`. */
export function cutNote(bytes: number, maxLineBytes: number): string {
  return ` … [line cut: ${bytes} bytes, the limit is ${maxLineBytes} (setting logMaxLineBytes)]`;
}

/**
 * The start of a line of `bytes` that is cut, as shown: as much of `head` as fits within
 * `maxLineBytes` with the note of its size.
 */
export function endCut(head: string, bytes: number, maxLineBytes: number): string {
  const note = cutNote(bytes, maxLineBytes);
  return prefixBytes(head, Math.max(0, maxLineBytes - utf8Length(note))) + note;
}

/**
 * `text` cut to `maxLineBytes`, ending with a note of its full size; `text` itself when it
 * fits. `bytes` is its UTF-8 length when the caller knows it.
 */
export function cutLine(text: string, maxLineBytes: number, bytes = utf8Length(text)): string {
  return bytes <= maxLineBytes ? text : endCut(text, bytes, maxLineBytes);
}

/**
 * A line as a budget admits it: whole, or (`cutFrom` set, the line's full UTF-8 size) only
 * its kept start, to be shown with {@linkcode endCut}.
 */
export interface AdmittedLine {
  text: string;
  cutFrom?: number;
}

/** One job's log budget: cuts long lines, and drops lines once the job's bytes are spent. */
export class LogBudget {
  readonly limits: LogLimits;
  #used = 0;
  #dropped: LogDropped = { lines: 0, bytes: 0 };

  constructor(limits: LogLimits) {
    this.limits = limits;
  }

  /** The line to keep (cut when too long), or undefined when the job's log is full. */
  admit(text: string): string | undefined {
    const kept = this.admitParts(text);
    if (kept?.cutFrom === undefined) return kept?.text;
    return kept.text + cutNote(kept.cutFrom, this.limits.maxLineBytes);
  }

  /**
   * As `admit`, but a cut line comes as its kept start and full size, without the note, so
   * that whoever shows it can redact the start before the note is added.
   */
  admitParts(text: string): AdmittedLine | undefined {
    // Cheap bound first: a UTF-16 unit is at most 3 UTF-8 bytes.
    const bytes = text.length * 3 <= this.limits.maxLineBytes ? -1 : utf8Length(text);
    if (this.#used >= this.limits.maxBytes) {
      this.#dropped.lines++;
      this.#dropped.bytes += bytes < 0 ? utf8Length(text) : bytes;
      return undefined;
    }
    if (bytes <= this.limits.maxLineBytes) {
      this.#used += (bytes < 0 ? utf8Length(text) : bytes) + LINE_OVERHEAD_BYTES;
      return { text };
    }
    const note = utf8Length(cutNote(bytes, this.limits.maxLineBytes));
    const head = prefixBytes(text, Math.max(0, this.limits.maxLineBytes - note));
    this.#used += utf8Length(head) + note + LINE_OVERHEAD_BYTES;
    return { text: head, cutFrom: bytes };
  }

  /** What was dropped so far. */
  get dropped(): LogDropped {
    return { ...this.#dropped };
  }

  /** Bytes counted against the limit so far. */
  get used(): number {
    return this.#used;
  }
}

/** The line that ends a log of which `dropped` was dropped. */
export function droppedNote(dropped: LogDropped, maxBytes: number): string {
  return `The job's log reached its limit of ${maxBytes} bytes (setting logMaxBytesPerJob): ` +
    `${dropped.lines} more lines (${dropped.bytes} bytes) were dropped`;
}
