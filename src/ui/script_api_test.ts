import assert from "node:assert/strict";
import { scriptTypings } from "../engine/mod.ts";
import { parseTypings } from "./script_api.ts";

const AFT_DTS = await scriptTypings();
const api = parseTypings(AFT_DTS);

Deno.test("parseTypings() reads every declaration of aft.d.ts", () => {
  const declared = [...AFT_DTS.matchAll(/^declare (?:function|const|class) ([\w$]+)/gm)].map((m) =>
    m[1]!
  );
  assert.ok(declared.length > 50);
  assert.deepEqual(api.globals.map((g) => g.name).sort(), [...new Set(declared)].sort());
  const types = [...AFT_DTS.matchAll(/^(?:interface|declare class|type) ([\w$]+)/gm)].map((m) =>
    m[1]!
  );
  assert.deepEqual(Object.keys(api.types).sort(), [...new Set(types)].sort());
});

Deno.test("parseTypings() keeps each member of every interface and class body", () => {
  // Each member line of a body: a name followed by "(" or ":" (or "?"), indented two spaces.
  for (const m of AFT_DTS.matchAll(/^(?:interface|declare class) ([\w$]+)[^{\n]*\{\n([^}]*)\}/gm)) {
    const names = [...m[2]!.matchAll(/^ {2}([\w$]+)\??\s*[(:]/gm)].map((x) => x[1]!)
      .filter((n) => n !== "constructor");
    const got = api.types[m[1]!]!.members.map((x) => x.name);
    for (const n of names) assert.ok(got.includes(n), `${m[1]}.${n}`);
  }
});

Deno.test("parseTypings() gives signatures, return types and JSDoc text", () => {
  const byName = Object.fromEntries(api.globals.map((g) => [g.name, g]));
  assert.deepEqual(byName.VirtualFSByName, {
    name: "VirtualFSByName",
    kind: "function",
    signature: "VirtualFSByName(name: string): VirtualFS",
    doc: "The VFS Library entry `name` (case-insensitive). Throws when there is none.",
    type: "VirtualFS",
  });
  assert.equal(byName.Param!.doc, "Same as Params.", "{@link X} becomes X");
  assert.equal(
    byName.SendMail!.signature,
    "SendMail(from: string, to: string, subject: string, body: string, attachmentPaths?: string[]): Result",
  );
  assert.equal(byName.VirtualFS!.kind, "class");
  assert.match(byName.VirtualFS!.signature, /^new VirtualFS\(type: string, target: string/);
  assert.equal(
    byName.FsWatcher!.doc,
    "Watches local folders; callbacks run inside WaitForHaltSignal().",
  );
  assert.equal(byName.HttpCli!.type, "HttpCli");
  assert.equal(byName.Log!.type, "AftLog");
  const copy = api.types.VirtualFS!.members.find((m) => m.name === "CopyToVFS")!;
  assert.equal(copy.type, "Result");
  assert.match(copy.doc, /streaming, each file atomically/);
  const start = api.types.Watcher!.members.find((m) => m.name === "Start")!;
  assert.equal(start.type, "boolean");
  assert.deepEqual(api.types.SftpClient!.extends, ["RemoteClient"]);
  assert.equal(api.types.AftLog!.members[0]!.name, "()");
});

Deno.test("parseTypings() names the place it cannot read", () => {
  assert.throws(
    () => parseTypings("declare let x: number;"),
    /Cannot read the typings at offset 0/,
  );
  assert.throws(
    () => parseTypings("interface A {\n  ???;\n}"),
    /Cannot read the typings member "\?\?\?"/,
  );
});
