import assert from "node:assert/strict";
import { AFT_DTS } from "../../../runtime/typings.ts";
import { parseTypings } from "../../script_api.ts";
import { allMembers, expressionBefore, membersOf, typeBeforeDot } from "./infer.ts";

const api = parseTypings(AFT_DTS);

/** The type before the last "." of `code`. */
function typeAtEnd(code: string): string | undefined {
  return typeBeforeDot(api, code, code.lastIndexOf("."));
}

Deno.test("typeBeforeDot() follows calls, new, constants, members and variables", async (t) => {
  const cases: [string, string | undefined][] = [
    ['VirtualFSByName("in").', "VirtualFS"],
    ['VirtualFSByName( "a(b)" ) .', "VirtualFS"],
    ['new VirtualFS(VfsTypeDisk, "/x").', "VirtualFS"],
    ["var c = new SftpClient();\nc.", "SftpClient"],
    ["Log.", "AftLog"],
    ["HttpCli().", "HttpCli"],
    ['HttpCli().Url("u").Bearer(t).', "HttpCli"],
    ['HttpCli().Url("u").Get().', "HttpResponse"],
    ['var src = VirtualFSByName("a");\nvar r = src.Stat("/x");\nr.', "Result"],
    ['var r = VirtualFSByName("a").Stat("/x");\nr.Info().', "FileInfo"],
    ['var r = VirtualFSByName("a").ReadDir("/");\nr.Infos()[0].', "FileInfo"],
    ["var w = new RemoteWatcher('in');\nw.", "RemoteWatcher"],
    ["unknown.", undefined],
    ["VirtualFS.", undefined],
    ["var a = b;\nvar b = a;\na.", undefined],
    ["x = 1; (1 + 2).", undefined],
  ];
  for (const [code, want] of cases) {
    await t.step(JSON.stringify(code), () => assert.equal(typeAtEnd(code), want));
  }
});

Deno.test("typeBeforeDot() uses the variable's value before the dot, not a later one", () => {
  const code = 'var v = VirtualFSByName("a");\nv.';
  assert.equal(typeAtEnd(code), "VirtualFS");
  const later = code + "Stat('/');\nv = HttpCli();";
  assert.equal(typeBeforeDot(api, later, code.length - 1), "VirtualFS");
});

Deno.test("expressionBefore() reads the member chain ending at a position", () => {
  const code = 'if (ok) new VirtualFS(VfsTypeDisk, "/x").CopyToVFS("a", d, "/b")';
  assert.equal(expressionBefore(code, code.length), code.slice(8));
  assert.equal(expressionBefore("a + b", 5), "b");
  assert.equal(expressionBefore("(", 1), undefined);
});

Deno.test("membersOf() includes what a type extends, once, without call signatures", () => {
  const names = membersOf(api, "SftpClient").map((m) => m.name);
  assert.ok(names.includes("HostKeySHA256"));
  assert.ok(names.includes("Upload"), "a member of RemoteClient");
  assert.equal(new Set(names).size, names.length);
  assert.ok(!membersOf(api, "AftLog").some((m) => m.name === "()"));
  assert.deepEqual(membersOf(api, "NoSuchType"), []);
  const all = allMembers(api).map((m) => m.entry.name);
  assert.ok(all.includes("CopyToVFS") && all.includes("BodyAsString"));
  assert.equal(new Set(all).size, all.length);
});
