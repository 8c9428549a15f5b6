/**
 * `engine.nodes`: the `aft serve` nodes on the store (one on SQLite, several on PostgreSQL),
 * as `aft nodes` and `GET /v1/adm/nodes` list them, and draining: a draining node claims no new
 * job and finishes what it runs, so it can be stopped and upgraded without failing a job.
 *
 * @module
 */

import type { NodeRecord } from "../store/types.ts";
import { EngineError, guarded } from "./errors.ts";
import type { EngineCore } from "./types.ts";

export interface NodeOps {
  /** Every node, by name, with its last heartbeat and the jobs it runs. */
  list(): Promise<NodeRecord[]>;
  /** NODE_NOT_FOUND when no node has this name. */
  get(id: string): Promise<NodeRecord>;
  /**
   * Starts (or, with `draining` false, ends) draining node `id`; it takes effect at the node's
   * next heartbeat. NODE_NOT_FOUND when no node has this name.
   */
  drain(id: string, draining?: boolean): Promise<NodeRecord>;
}

/** The node operations over `core`. */
export function createNodeOps(core: EngineCore): NodeOps {
  const store = core.store;
  const get = async (id: string) => {
    const n = await store.nodes.get(id);
    if (!n) throw new EngineError("NODE_NOT_FOUND", `No node named "${id}"`);
    return n;
  };
  return guarded({
    list: () => store.nodes.list(),
    get,
    async drain(id: string, draining = true) {
      if (!(await store.nodes.setDraining(id, draining))) {
        throw new EngineError("NODE_NOT_FOUND", `No node named "${id}"`);
      }
      return await get(id);
    },
  });
}
