/**
 * What the parts of the prelude use to reach the host: typed calls (see
 * {@linkcode HostCalls}), log lines, the halt flag and a way to define a global.
 *
 * @module
 */

import type { LogLevel } from "../../store/types.ts";
import type { CallArgs, CallName, CallResult, HostCalls } from "../protocol/calls.ts";

export type { HostCalls };

/** The prelude's link to the host, one per Worker. */
export interface Bridge {
  /** Synchronous call; throws (as a programming error) when the host refuses the call. */
  call<K extends CallName>(method: K, ...args: CallArgs<K>): CallResult<K>;
  log(level: LogLevel, text: string): void;
  halted(): boolean;
  define(name: string, value: unknown): void;
  /**
   * The script's context's `TypeError` and `Error`: what the prelude throws at a script is of
   * the script's own realm, so `e instanceof TypeError` holds there.
   */
  TypeError: TypeErrorConstructor;
  Error: ErrorConstructor;
}
