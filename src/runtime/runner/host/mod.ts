/**
 * One table from call names to host handlers: the only way a script reaches anything. Typed by
 * {@linkcode HostHandlers}, so it answers exactly the calls the prelude makes.
 *
 * Each group of handlers is loaded on its first call (`aft run` runs the script in its own
 * process, where every module loaded is start-up time): a script that only logs loads none of
 * them, one that copies files loads the VFS part and not the zip or mail part.
 *
 * @module
 */

import type { HostHandlers } from "../../protocol/calls.ts";
import { mark } from "../../../timings.ts";
import { type HostContext, ScriptCallError } from "./context.ts";
import type { VfsHandles } from "./vfs.ts";
import type { Watchers } from "./watch.ts";
import type { vfsOp } from "./vfs_ops.ts";

export { type HostContext, ScriptCallError } from "./context.ts";

/** The VFS handles and watchers of one job, made on first use. */
interface VfsParts {
  handles: VfsHandles;
  watchers: Watchers;
  vfsOp: typeof vfsOp;
}

/** The handlers of one job. */
export function createHandlers(ctx: HostContext): HostHandlers {
  let parts: Promise<VfsParts> | undefined;
  const vfs = () =>
    parts ??= (async () => {
      const [{ VfsHandles }, { Watchers }, ops] = await Promise.all([
        import("./vfs.ts"),
        import("./watch.ts"),
        import("./vfs_ops.ts"),
      ]);
      mark("VFS modules loaded");
      const handles = new VfsHandles(ctx);
      return { handles, watchers: new Watchers(ctx, handles), vfsOp: ops.vfsOp };
    })();
  return {
    async secret([name]) {
      if (typeof name !== "string") throw new ScriptCallError("GetSecret(name) takes a string");
      return (await ctx.request({ op: "secret", name }) as string | null) ?? "";
    },
    "vfs.open": async ([spec]) => (await vfs()).handles.open(spec),
    "vfs.names": async () => await ctx.request({ op: "vfsNames" }) as string[],
    "vfs.op": async ([handle, op, args]) => {
      const v = await vfs();
      return await v.vfsOp(ctx, v.handles, handle, op, args);
    },
    http: async ([spec]) => (await import("./http.ts")).httpRequest(ctx, spec),
    local: async ([op, args]) => (await import("./local.ts")).localCall(ctx, op, args),
    "archive.zip": async ([args]) => (await import("./zip.ts")).zipCall(ctx, args),
    "archive.unzip": async ([args]) => (await import("./zip.ts")).unzipCall(ctx, args),
    "pgp.encrypt": async ([args]) => (await import("./openpgp.ts")).encryptCall(ctx, args),
    "pgp.decrypt": async ([args]) => (await import("./openpgp.ts")).decryptCall(ctx, args),
    mail: async ([args]) => (await import("./smtp.ts")).sendMailCall(ctx, args),
    "watch.start": async ([spec]) => (await vfs()).watchers.start(spec),
    "watch.stop": async ([id]) => parts && (await parts).watchers.stop(id),
    // Asked at every Sleep and WaitForHaltSignal: no watcher yet, nothing to load.
    "watch.take": async () => parts ? (await parts).watchers.take() : [],
  };
}
