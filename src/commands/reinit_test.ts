import * as assert from "node:assert/strict";
import { reinitRefusal } from "./reinit.ts";

Deno.test("reinitRefusal() says which of the two is missing: the stopped service, root", () => {
  const running = { pid: 42, listen: "127.0.0.1:44399" };
  assert.equal(reinitRefusal({ privileged: true }, "linux"), undefined);
  const notRoot = reinitRefusal({ privileged: false }, "linux")!;
  assert.match(notRoot, /needs root: run "sudo aft reinit"/);
  assert.doesNotMatch(notRoot, /stopped/);
  const up = reinitRefusal({ privileged: true, running }, "linux")!;
  assert.match(up, /needs the service stopped: the service is running \(pid 42/);
  assert.match(up, /"sudo aft svc stop"/);
  assert.doesNotMatch(up, /not root/);
  const both = reinitRefusal({ privileged: false, running }, "linux")!;
  assert.match(both, /needs the service stopped and root: .*this is not root/);
  const win = reinitRefusal({ privileged: false, running }, "windows")!;
  assert.match(win, /an elevated administrator/);
  assert.match(win, /"aft svc stop"/);
  assert.match(win, /elevated PowerShell/);
});
