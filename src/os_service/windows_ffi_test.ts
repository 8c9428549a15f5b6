import * as assert from "node:assert/strict";
import {
  decodeStatus,
  encodeFailureActions,
  encodeStatus,
  SC_ACTION_RESTART,
  wide,
} from "./windows_ffi.ts";
import { dataDirOfCommandLine, windowsArg, windowsCommandLine } from "./windows_scm.ts";

Deno.test("windowsArg() quotes as CommandLineToArgvW reads it back", () => {
  assert.equal(windowsArg("plain"), "plain");
  assert.equal(windowsArg("C:\\Program Files\\aft\\aft.exe"), '"C:\\Program Files\\aft\\aft.exe"');
  assert.equal(windowsArg(""), '""');
  assert.equal(windowsArg('say "hi"'), '"say \\"hi\\""');
  // Backslashes before a closing quote are doubled, so the quote still closes the argument.
  assert.equal(windowsArg("C:\\dir with space\\"), '"C:\\dir with space\\\\"');
});

Deno.test("windowsCommandLine() runs serve --windows-service and its data directory reads back", () => {
  const line = windowsCommandLine({
    command: ["C:\\Program Files\\aft\\aft.exe"],
    dataDir: "C:\\ProgramData\\aft data",
    listen: "0.0.0.0:44399",
    stopTimeoutSeconds: 40,
    writablePaths: [],
    anyFolder: true,
    version: "0.1.0",
  });
  assert.equal(
    line,
    '"C:\\Program Files\\aft\\aft.exe" serve --windows-service --data "C:\\ProgramData\\aft data" --listen 0.0.0.0:44399',
  );
  assert.equal(dataDirOfCommandLine(line), "C:\\ProgramData\\aft data");
  assert.equal(dataDirOfCommandLine("aft.exe serve --data C:\\aft"), "C:\\aft");
});

Deno.test("SERVICE_STATUS and SERVICE_FAILURE_ACTIONSW have the layout advapi32 reads", () => {
  const s = {
    serviceType: 0x10,
    currentState: 4,
    controlsAccepted: 5,
    win32ExitCode: 0,
    serviceSpecificExitCode: 0,
    checkPoint: 0,
    waitHint: 0,
  };
  const buf = encodeStatus(s);
  assert.equal(buf.length, 28);
  assert.deepEqual(decodeStatus(buf), s);
  assert.deepEqual([...buf.subarray(4, 8)], [4, 0, 0, 0]);

  const { struct, actions } = encodeFailureActions(86400, [5000, 10000]);
  assert.equal(struct.length, 40);
  const v = new DataView(struct.buffer);
  assert.equal(v.getUint32(0, true), 86400);
  assert.equal(v.getUint32(24, true), 2);
  assert.notEqual(v.getBigUint64(32, true), 0n);
  const a = new DataView(actions.buffer);
  assert.deepEqual([a.getUint32(0, true), a.getUint32(4, true)], [SC_ACTION_RESTART, 5000]);
  assert.deepEqual([a.getUint32(8, true), a.getUint32(12, true)], [SC_ACTION_RESTART, 10000]);
  assert.deepEqual([...wide("ab")], [97, 98, 0]);
});
