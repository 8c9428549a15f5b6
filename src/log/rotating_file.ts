/**
 * A log file rotated by size: when a line would take the file past `maxBytes`, `aft.log`
 * becomes `aft.log.1` (`.1` becomes `.2`, ...) and the oldest past `keep` is removed, so the
 * log never takes more than about `maxBytes × (keep + 1)`. Files are private (0600). Writes are
 * synchronous: the service logs little, and lines keep their order across rotations.
 *
 * @example
 * ```ts
 * const file = new RotatingFile("/var/lib/aft/logs/aft.log", { maxBytes: 10 << 20, keep: 5 });
 * file.write("2026-12-02T10:00:00.000Z INFO  started");
 * file.close();
 * ```
 * @module
 */

import { dirname } from "node:path";

/** Options of {@link RotatingFile}. */
export interface RotationOptions {
  /** Largest size of one file in bytes. */
  maxBytes: number;
  /** Rotated files kept beside the current one (`aft.log.1` ... `aft.log.<keep>`). */
  keep: number;
}

/** Default rotation: 10 MiB, five old files kept. */
export const DEFAULT_ROTATION: RotationOptions = { maxBytes: 10 * 1024 * 1024, keep: 5 };

const enc = new TextEncoder();

/** An append-only, size-rotated log file. */
export class RotatingFile {
  readonly path: string;
  readonly #opts: RotationOptions;
  #file: Deno.FsFile | undefined;
  #size = 0;

  constructor(path: string, opts: RotationOptions = DEFAULT_ROTATION) {
    if (!(opts.maxBytes >= 1024)) throw new RangeError("maxBytes must be at least 1024");
    if (!(Number.isInteger(opts.keep) && opts.keep >= 0)) {
      throw new RangeError("keep must be a whole number of files");
    }
    this.path = path;
    this.#opts = opts;
    Deno.mkdirSync(dirname(path), { recursive: true, mode: 0o700 });
    this.#open();
  }

  #open(): void {
    this.#file = Deno.openSync(this.path, { append: true, create: true, mode: 0o600 });
    if (Deno.build.os !== "windows") Deno.chmodSync(this.path, 0o600);
    this.#size = this.#file.statSync().size;
  }

  /** Appends `line` and a newline; a line longer than a file is cut to fit one. */
  write(line: string): void {
    if (!this.#file) return;
    let bytes = enc.encode(line + "\n");
    if (bytes.length > this.#opts.maxBytes) {
      bytes = enc.encode(line.slice(0, Math.floor(this.#opts.maxBytes / 4) - 16) + " [cut]\n");
    }
    if (this.#size > 0 && this.#size + bytes.length > this.#opts.maxBytes) this.#rotate();
    let off = 0;
    while (off < bytes.length) off += this.#file.writeSync(bytes.subarray(off));
    this.#size += bytes.length;
  }

  #rotate(): void {
    this.#file?.close();
    this.#file = undefined;
    const { keep } = this.#opts;
    const gone = (p: string) => {
      try {
        Deno.removeSync(p);
      } catch { /* not there */ }
    };
    if (keep === 0) {
      gone(this.path);
    } else {
      gone(`${this.path}.${keep}`);
      for (let i = keep - 1; i >= 1; i--) {
        try {
          Deno.renameSync(`${this.path}.${i}`, `${this.path}.${i + 1}`);
        } catch { /* not there yet */ }
      }
      Deno.renameSync(this.path, `${this.path}.1`);
    }
    this.#open();
  }

  close(): void {
    this.#file?.close();
    this.#file = undefined;
  }
}

/** Parses a size such as `10MiB`, `512k`, `1G` or `4096` (bytes); undefined when it is none. */
export function parseSize(text: string): number | undefined {
  const m = /^\s*(\d+(?:\.\d+)?)\s*([kmg]?)(?:i?b)?\s*$/i.exec(text);
  if (!m) return undefined;
  const unit = { "": 1, k: 1024, m: 1024 ** 2, g: 1024 ** 3 }[m[2]!.toLowerCase()]!;
  return Math.floor(Number(m[1]) * unit);
}
