/**
 * The result object every fallible script call returns: `Ok()`, `ErrorMsg()` and the data
 * getters of the operation. Host handlers return a plain {@linkcode ResultData}; the prelude
 * wraps it here.
 *
 * @module
 */

import type { ResultData, ScriptFileInfo } from "../protocol/calls.ts";

/** The result object scripts see. Private fields keep it tamper-proof. */
export class Result {
  #d: ResultData;
  constructor(data: ResultData) {
    this.#d = data;
  }
  /** True when the operation succeeded. */
  Ok(): boolean {
    return this.#d.ok;
  }
  /** Why it failed; `""` on success. */
  ErrorMsg(): string {
    return this.#d.error ?? "";
  }
  Info(): ScriptFileInfo | null {
    return this.#d.info ?? null;
  }
  Infos(): ScriptFileInfo[] {
    return this.#d.infos ?? [];
  }
  Size(): number {
    return this.#d.size ?? 0;
  }
  Text(): string {
    return this.#d.text ?? "";
  }
  /** File bytes for ReadFileAsBytes; bytes copied for CopyToVFS/MoveToVFS. */
  Bytes(): Uint8Array | number {
    return this.#d.bytes ?? this.#d.bytesCopied ?? 0;
  }
  /** Files copied. */
  Files(): number {
    return this.#d.files ?? 0;
  }
  /** Files left alone by the overwrite policy. */
  Skipped(): number {
    return this.#d.skipped ?? 0;
  }
  /** One message per file that failed. */
  Errors(): string[] {
    return this.#d.errors ?? [];
  }
  toString(): string {
    return this.#d.ok ? "[Result ok]" : `[Result failed: ${this.#d.error ?? ""}]`;
  }
}
