/**
 * Removes secret values from log text. A job's redactor learns every secret (and VFS
 * credential) the job was given, and every log line passes through it before it is stored,
 * streamed or printed.
 *
 * @example
 * ```ts
 * const r = new Redactor();
 * r.add("s3cr3t");
 * r.apply("token=s3cr3t"); // "token=***"
 * ```
 * @module
 */

/** Replaces known secret values with `***`. */
export class Redactor {
  #values: string[] = [];

  /** Learns a value to hide. Empty values are ignored. */
  add(value: string | undefined | null): void {
    if (!value || this.#values.includes(value)) return;
    // Also hide the forms a value commonly takes in logs: JSON-escaped and URL-encoded.
    for (const v of [value, JSON.stringify(value).slice(1, -1), encodeURIComponent(value)]) {
      if (!this.#values.includes(v)) this.#values.push(v);
    }
    // Longest first, so a secret containing another is hidden whole.
    this.#values.sort((a, b) => b.length - a.length);
  }

  apply(text: string): string {
    let out = text;
    for (const v of this.#values) if (out.includes(v)) out = out.split(v).join("***");
    return out;
  }
}
