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
import { Watchers } from "./watch.ts";

export { type HostContext, ScriptCallError } from "./context.ts";

type Handler = (args: unknown[]) => Promise<unknown>;

/** The handlers of one job. */
export function createHandlers(ctx: HostContext): Record<string, Handler> {
  const handles = new VfsHandles(ctx);
  const watchers = new Watchers(ctx, handles);
  return {
    async secret([name]) {
      if (typeof name !== "string") throw new ScriptCallError("GetSecret(name) takes a string");
      return (await ctx.request({ op: "secret", name }) as string | null) ?? "";
    },
    "vfs.open": ([spec]) => handles.open(spec),
    "vfs.names": () => ctx.request({ op: "vfsNames" }),
    "vfs.op": ([handle, op, args]) => vfsOp(ctx, handles, handle, op, args),
    http: ([spec]) => httpRequest(ctx, spec as HttpRequestSpec),
    local: ([op, args]) => localCall(ctx, op, args),
    "archive.zip": async ([args]) => (await import("./zip.ts")).zipCall(ctx, args as unknown[]),
    "archive.unzip": async ([args]) => (await import("./zip.ts")).unzipCall(ctx, args as unknown[]),
    "pgp.encrypt": async ([args]) =>
      (await import("./openpgp.ts")).encryptCall(ctx, args as unknown[]),
    "pgp.decrypt": async ([args]) =>
      (await import("./openpgp.ts")).decryptCall(ctx, args as unknown[]),
    mail: async ([args]) => (await import("./smtp.ts")).sendMailCall(ctx, args as unknown[]),
    "watch.start": ([spec]) => watchers.start(spec),
    "watch.stop": ([id]) => watchers.stop(id),
    "watch.take": () => Promise.resolve(watchers.take()),
  };
}
