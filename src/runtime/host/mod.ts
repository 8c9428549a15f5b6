/**
 * One table from call names to host handlers: the only way a script reaches anything.
 *
 * @module
 */

import type { HttpRequestSpec } from "../prelude_http.ts";
import { type HostContext, ScriptCallError } from "./context.ts";
import { httpRequest } from "./http.ts";
import { localCall } from "./local.ts";
import { VfsHandles, vfsOp } from "./vfs.ts";

export { type HostContext, ScriptCallError } from "./context.ts";

type Handler = (args: unknown[]) => Promise<unknown>;

/** The handlers of one job. */
export function createHandlers(ctx: HostContext): Record<string, Handler> {
  const handles = new VfsHandles(ctx);
  return {
    async secret([name]) {
      if (typeof name !== "string") throw new ScriptCallError("GetSecret(name) takes a string");
      return (await ctx.request({ op: "secret", name }) as string | null) ?? "";
    },
    "vfs.open": ([spec]) => handles.open(spec),
    "vfs.op": ([handle, op, args]) => vfsOp(ctx, handles, handle, op, args),
    http: ([spec]) => httpRequest(ctx, spec as HttpRequestSpec),
    local: ([op, args]) => localCall(ctx, op, args),
  };
}
