/**
 * A one-line transfer progress display on stderr for terminals.
 *
 * @module
 */

import type { TransferProgress } from "../vfs/progress.ts";
import { escapeControls } from "../engine/names.ts";

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

/** Columns of the terminal; 80 when it does not say (some pseudo-terminals report 0). */
function terminalColumns(): number {
  try {
    const c = Deno.consoleSize().columns;
    return c >= 20 ? c : 80;
  } catch {
    return 80;
  }
}

/** `  2/5 files  120.0/256.0 MiB (46%)  110.2 MiB/s  /out/big.bin`, cut to `cols - 1`. */
export function progressText(
  p: Omit<TransferProgress, "done">,
  cols: number,
): string {
  const files = p.filesTotal ? `${p.files}/${p.filesTotal} files` : `${p.files} files`;
  const bytes = p.bytesTotal
    ? `${formatBytes(p.bytes)}/${formatBytes(p.bytesTotal)} (${
      Math.min(100, Math.floor((p.bytes / p.bytesTotal) * 100))
    }%)`
    : formatBytes(p.bytes);
  const head = `  ${files}  ${bytes}  ${formatBytes(p.rate)}/s  `;
  const room = cols - 1 - head.length;
  if (room <= 3) return head.slice(0, cols - 1);
  // A file's name comes from wherever it is (a partner's server): its control characters are
  // shown, not acted on by the terminal.
  const shown = escapeControls(p.path);
  const path = shown.length > room ? "…" + shown.slice(shown.length - room + 1) : shown;
  return head + path;
}

/** Redraws one status line in place; does nothing when `enabled` is false. */
export class ProgressLine {
  #enabled: boolean;
  #shown = false;
  #last = 0;

  constructor(enabled: boolean) {
    this.#enabled = enabled;
  }

  update(p: TransferProgress): void {
    if (!this.#enabled) return;
    const now = performance.now();
    if (!p.done && now - this.#last < 100) return;
    this.#last = now;
    if (p.done) return this.clear();
    Deno.stderr.writeSync(enc.encode(`\r\x1b[K${progressText(p, terminalColumns())}`));
    this.#shown = true;
  }

  clear(): void {
    if (!this.#shown) return;
    Deno.stderr.writeSync(enc.encode("\r\x1b[K"));
    this.#shown = false;
  }
}
