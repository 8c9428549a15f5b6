import assert from "node:assert/strict";
import { nodeState } from "./node_ops.ts";

Deno.test("nodeState: lost past the lease (draining or not), else draining or ok", () => {
  assert.equal(nodeState({ heartbeatAgeSeconds: 2, draining: false }, 30), "ok");
  assert.equal(nodeState({ heartbeatAgeSeconds: 30, draining: false }, 30), "ok");
  assert.equal(nodeState({ heartbeatAgeSeconds: 2, draining: true }, 30), "draining");
  assert.equal(nodeState({ heartbeatAgeSeconds: 31, draining: true }, 30), "lost");
  assert.equal(nodeState({ heartbeatAgeSeconds: 31, draining: false }, 30), "lost");
});
