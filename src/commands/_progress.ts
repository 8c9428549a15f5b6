/**
 * A one-line transfer progress display on stderr for terminals.
 *
 * @module
 */

const enc = new TextEncoder();

/** Human size: 1.5 MiB. */
export function formatBytes(n: number): string {
  const units = ["B", "KiB", "MiB", "GiB", "TiB"];
  let v = n;
  let i = 0;
  while (v >= 1024 && i < units.length - 1) {
    v /= 1024;
    i++;
  }
  return `${i === 0 ? v : v.toFixed(1)} ${units[i]}`;
}

/** Redraws one status line in place; does nothing when `enabled` is false. */
export class ProgressLine {
  #enabled: boolean;
  #shown = false;
  #last = 0;

  constructor(enabled: boolean) {
    this.#enabled = enabled;
  }

  update(p: { files: number; bytes: number; rate: number; path: string; done: boolean }): void {
    if (!this.#enabled) return;
    const now = performance.now();
    if (!p.done && now - this.#last < 100) return;
    this.#last = now;
    if (p.done) return this.clear();
    const cols = Deno.consoleSize?.().columns ?? 80;
    const text = `  ${p.files} files, ${formatBytes(p.bytes)}, ${formatBytes(p.rate)}/s  ${p.path}`;
    Deno.stderr.writeSync(enc.encode(`\r\x1b[K${text.slice(0, cols - 1)}`));
    this.#shown = true;
  }

  clear(): void {
    if (!this.#shown) return;
    Deno.stderr.writeSync(enc.encode("\r\x1b[K"));
    this.#shown = false;
  }
}
