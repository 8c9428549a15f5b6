/**
 * The dashboard's Nodes card: every `aft serve` node on the store (one on SQLite, several on a
 * shared PostgreSQL database), as `GET /v1/adm/nodes` lists them: name, address, version, jobs
 * running, the last heartbeat as a relative time, and a state: `ok`, `draining` (claims no new
 * job), or `lost` (no heartbeat for longer than `nodeLeaseSeconds`: its jobs are failed), as
 * the engine tells it.
 *
 * @module
 */

import type { NodeView } from "../../engine/mod.ts";
import { Table } from "../components.tsx";
import { durationText } from "../page_parts.tsx";

/** "just now", "12 s ago", "3 min 5 s ago" (by the store's clock). */
export function heartbeatText(ageSeconds: number): string {
  return ageSeconds < 1 ? "just now" : `${durationText(ageSeconds * 1000)} ago`;
}

/** The nodes table; `self` (the node that answers) is marked. */
export function NodesTable(props: { nodes: NodeView[]; self: string }) {
  return (
    <Table
      caption="Nodes on this store"
      captionHidden
      columns={[
        "Node",
        "Address",
        "Version",
        { label: "Running", numeric: true },
        "Last heartbeat",
        "State",
      ]}
    >
      {props.nodes.map((n) => {
        const { state } = n;
        return (
          <tr data-node={n.id} data-state={state}>
            <td>
              {n.id}
              {n.id === props.self && <span class="muted">&nbsp;(this node)</span>}
            </td>
            <td>{n.address ?? <span class="muted">—</span>}</td>
            <td>{n.version}</td>
            <td class="num">{String(n.running)}</td>
            <td title={n.heartbeatAt}>{heartbeatText(n.heartbeatAgeSeconds)}</td>
            <td>
              <span class={`badge node-${state}`}>{state}</span>
            </td>
          </tr>
        );
      })}
    </Table>
  );
}
