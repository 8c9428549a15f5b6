/**
 * One table from call names to host handlers: the only way a script reaches anything. Typed by
 * {@linkcode HostHandlers}, so it answers exactly the calls the prelude makes.
 *
 * @module
 */

import type { HostHandlers } from "../../protocol/calls.ts";
import { type HostContext, ScriptCallError } from "./context.ts";
import { httpRequest } from "./http.ts";
import { localCall } from "./local.ts";
import { VfsHandles } from "./vfs.ts";
import { vfsOp } from "./vfs_ops.ts";
import { Watchers } from "./watch.ts";

export { type HostContext, ScriptCallError } from "./context.ts";

/** The handlers of one job. */
export function createHandlers(ctx: HostContext): HostHandlers {
  const handles = new VfsHandles(ctx);
  const watchers = new Watchers(ctx, handles);
  return {
    async secret([name]) {
      if (typeof name !== "string") throw new ScriptCallError("GetSecret(name) takes a string");
      return (await ctx.request({ op: "secret", name }) as string | null) ?? "";
    },
    "vfs.open": ([spec]) => handles.open(spec),
    "vfs.names": async () => await ctx.request({ op: "vfsNames" }) as string[],
    "vfs.op": ([handle, op, args]) => vfsOp(ctx, handles, handle, op, args),
    http: ([spec]) => httpRequest(ctx, spec),
    local: ([op, args]) => localCall(ctx, op, args),
    "archive.zip": async ([args]) => (await import("./zip.ts")).zipCall(ctx, args),
    "archive.unzip": async ([args]) => (await import("./zip.ts")).unzipCall(ctx, args),
    "pgp.encrypt": async ([args]) => (await import("./openpgp.ts")).encryptCall(ctx, args),
    "pgp.decrypt": async ([args]) => (await import("./openpgp.ts")).decryptCall(ctx, args),
    mail: async ([args]) => (await import("./smtp.ts")).sendMailCall(ctx, args),
    "watch.start": ([spec]) => watchers.start(spec),
    "watch.stop": ([id]) => watchers.stop(id),
    "watch.take": () => Promise.resolve(watchers.take()),
  };
}
