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

/**
 * A node's state, the same on every surface: `lost` once it has sent no heartbeat for longer
 * than `nodeLeaseSeconds` (draining or not: its jobs are failed by a surviving node), else
 * `draining` or `ok`.
 */
export type NodeState = "ok" | "draining" | "lost";

/** A node as the engine shows it: its record and its state. */
export interface NodeView extends NodeRecord {
  state: NodeState;
}

/** The state of `n` under a lease of `leaseSeconds`. */
export function nodeState(
  n: Pick<NodeRecord, "heartbeatAgeSeconds" | "draining">,
  leaseSeconds: number,
): NodeState {
  if (n.heartbeatAgeSeconds > leaseSeconds) return "lost";
  return n.draining ? "draining" : "ok";
}

export interface NodeOps {
  /** Every node, by name, with its last heartbeat, the jobs it runs and its state. */
  list(): Promise<NodeView[]>;
  /** NODE_NOT_FOUND when no node has this name. */
  get(id: string): Promise<NodeView>;
  /**
   * Starts (or, with `draining` false, ends) draining node `id`; it takes effect at the node's
   * next heartbeat. NODE_NOT_FOUND when no node has this name.
   */
  drain(id: string, draining?: boolean): Promise<NodeView>;
}

/** The node operations over `core`. */
export function createNodeOps(core: EngineCore): NodeOps {
  const store = core.store;
  const lease = async () => (await core.settings()).nodeLeaseSeconds;
  const get = async (id: string): Promise<NodeView> => {
    const n = await store.nodes.get(id);
    if (!n) throw new EngineError("NODE_NOT_FOUND", `No node named "${id}"`);
    return { ...n, state: nodeState(n, await lease()) };
  };
  return guarded({
    async list() {
      const [nodes, seconds] = await Promise.all([store.nodes.list(), lease()]);
      return nodes.map((n) => ({ ...n, state: nodeState(n, seconds) }));
    },
    get,
    async drain(id: string, draining = true) {
      if (!(await store.nodes.setDraining(id, draining))) {
        throw new EngineError("NODE_NOT_FOUND", `No node named "${id}"`);
      }
      return await get(id);
    },
  });
}
