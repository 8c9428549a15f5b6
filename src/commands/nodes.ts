/**
 * `aft nodes [list]|drain|resume`: the `aft serve` nodes on the store (several when they share
 * one PostgreSQL database), and draining one for a rolling upgrade.
 *
 * @module
 */

import { UsageError } from "../errors.ts";
import { createEngine } from "../engine/mod.ts";
import { esc, type GlobalOptions, printJson, printTable, shortTime } from "./_output.ts";

/** Options of `aft nodes`. */
export interface NodesOptions extends GlobalOptions {
  json?: boolean;
}

/** Entry of `aft nodes`. */
export default async function nodes(
  action: string,
  args: string[],
  opts: NodesOptions,
): Promise<number> {
  const engine = await createEngine({ dataDir: opts.data });
  try {
    switch (action) {
      case "list": {
        const all = await engine.nodes.list();
        if (opts.json) printJson(all);
        else {
          printTable(
            ["node", "address", "version", "running", "last heartbeat", "state"],
            all.map((n) => [
              n.id,
              n.address ?? "",
              n.version,
              String(n.running),
              `${shortTime(n.heartbeatAt)} (${Math.round(n.heartbeatAgeSeconds)} s ago)`,
              n.state,
            ]),
            "(no nodes: no aft serve runs on this store)",
          );
        }
        return 0;
      }
      case "drain":
      case "resume": {
        const n = await engine.nodes.drain(args[0] ?? "", action === "drain");
        console.error(
          action === "drain"
            ? `node "${
              esc(n.id)
            }" drains: no new jobs from its next heartbeat; ${n.running} running`
            : `node "${esc(n.id)}" takes jobs again`,
        );
        return 0;
      }
    }
    throw new UsageError(`Unknown action "${action}"`);
  } finally {
    await engine.close();
  }
}
