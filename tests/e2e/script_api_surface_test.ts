/**
 * The script API cannot drift: the names of the contract (`spec/script-api.md`, listed below and
 * compared with the spec file when it is beside the project), the globals the prelude really
 * defines (seen from inside a script run by `aft run`), the declarations of `aft.d.ts` and the
 * user documentation `docs/script-api.md` must all agree; and every example in the docs must
 * type-check against `aft.d.ts`.
 */

import assert from "node:assert/strict";
import { join } from "node:path";
import { runAft, tempDataDir } from "./_cli.ts";
import { AFT_DTS } from "../../src/runtime/typings.ts";

const ROOT = new URL("../../", import.meta.url);
const DOCS = new URL("docs/script-api.md", ROOT);
const SPEC = new URL("../shared/spec/script-api.md", ROOT);

/** Every global the contract names. */
const GLOBALS = [
  "Params",
  "Param",
  "GetSecret",
  "Exit",
  "Sleep",
  "WaitForHaltSignal",
  "HaltSignalReceived",
  "JobID",
  "ScriptName",
  "Log",
  "VirtualFSByName",
  "VirtualFSNames",
  "VirtualFS",
  "VfsTypeDisk",
  "VfsTypeSFTP",
  "VfsTypeFTP",
  "VfsTypeS3",
  "VfsTypeAzure",
  "VfsTypeGCS",
  "NeverOverwrite",
  "AlwaysOverwrite",
  "OverwriteIfDiffSize",
  "OverwriteIfNewer",
  "SortByName",
  "SortByNameDirsFirst",
  "SortBySize",
  "SortByTime",
  "SortAsc",
  "SortDesc",
  "FromStart",
  "FromCurrent",
  "FromEnd",
  "SftpClient",
  "FtpsClient",
  "S3Client",
  "AzureClient",
  "GCSClient",
  "TLS_MODE_NONE",
  "TLS_MODE_EXPLICIT",
  "TLS_MODE_IMPLICIT",
  "LIST_ALL",
  "LIST_FILES",
  "LIST_DIRS",
  "FsWatcher",
  "RemoteWatcher",
  "EVT_CREATE",
  "EVT_WRITE",
  "EVT_REMOVE",
  "EVT_RENAME",
  "EVT_CHMOD",
  "HttpCli",
  "SendMail",
  "Zip",
  "Unzip",
  "PGPEncryptFile",
  "PGPDecryptFile",
  "FileExists",
  "DirExists",
  "ReadTextFile",
  "WriteTextFile",
  "CopyFile",
  "MoveFile",
  "DelFile",
  "MakeDir",
  "ListLocal",
  "ExtractFileName",
  "ExtractFileExt",
  "ExtractFilePath",
  "JoinPath",
  "Timestamp",
  "FormatDateTime",
];

/** Members of the contract's objects: the type in aft.d.ts and how a script reaches one. */
const MEMBERS: Record<string, { make: string; names: string[] }> = {
  AftLog: { make: "Log", names: ["Info", "Warn", "Error", "Debug"] },
  VirtualFS: {
    make: 'new VirtualFS(VfsTypeMemory, "/")',
    names: [
      "CopyToVFS",
      "MoveToVFS",
      "Stat",
      "Lstat",
      "ReadDir",
      "Mkdir",
      "MkdirAll",
      "Rmdir",
      "Remove",
      "RemoveAll",
      "Rename",
      "TreeSize",
      "Chtimes",
      "Chmod",
      "Truncate",
      "ReadFileAsText",
      "ReadFileAsBytes",
      "WriteFileAsText",
      "WriteFileAsBytes",
      "ImportFile",
      "ExportFile",
      "ListFiles",
      "ListFilesR",
    ],
  },
  Result: { make: 'new VirtualFS(VfsTypeMemory, "/").Stat("/none")', names: ["Ok", "ErrorMsg"] },
  RemoteClient: {
    make: "new SftpClient()",
    names: [
      "Connect",
      "Close",
      "ListDir",
      "ListDirR",
      "ListFiles",
      "ListFilesR",
      "Stat",
      "MakeDir",
      "DelDir",
      "DelTree",
      "DelFile",
      "RenFile",
      "RenDir",
      "Upload",
      "Download",
      "Options",
    ],
  },
  ClientOptions: {
    make: "new SftpClient().Options",
    names: [
      "StopOnTransferError",
      "UploadPolicy",
      "DownloadPolicy",
      "UploadWithTempName",
      "DownloadWithTempName",
      "DeleteSourceAfterUpload",
      "DeleteSourceAfterDownload",
      "AdjustTimeOnUpload",
      "AdjustTimeOnDownload",
    ],
  },
  SftpClient: {
    make: "new SftpClient()",
    names: [
      "Host",
      "User",
      "Pass",
      "PassFromSecret",
      "KeyFile",
      "KeyFilePass",
      "KeyFilePassFromSecret",
      "HostKeySHA256",
    ],
  },
  FtpsClient: {
    make: "new FtpsClient()",
    names: ["Host", "User", "Pass", "PassFromSecret", "TLSMode", "TLSInsecure"],
  },
  S3Client: {
    make: "new S3Client()",
    names: [
      "Region",
      "Bucket",
      "Endpoint",
      "APIKeyID",
      "APIKeyIDFromSecret",
      "APIKeySecret",
      "APIKeySecretFromSecret",
    ],
  },
  AzureClient: {
    make: "new AzureClient()",
    names: ["Container", "AccountName", "AccountKey", "AccountKeyFromSecret", "Endpoint"],
  },
  GCSClient: {
    make: "new GCSClient()",
    names: ["Bucket", "CredentialsFile", "CredentialsFromSecret"],
  },
  FsWatcher: {
    make: "new FsWatcher()",
    names: ["WatchDir", "DelayBySeconds", "InclusionFilter", "ExclusionFilter", "Start", "Stop"],
  },
  RemoteWatcher: {
    make: 'new RemoteWatcher("x")',
    names: [
      "WatchDir",
      "PollIntervalSeconds",
      "DelayBySeconds",
      "InclusionFilter",
      "ExclusionFilter",
      "Start",
      "Stop",
    ],
  },
  HttpCli: {
    make: "HttpCli()",
    names: [
      "Url",
      "Header",
      "Bearer",
      "BasicAuth",
      "Timeout",
      "ReqBody",
      "Get",
      "Post",
      "Put",
      "Patch",
      "Delete",
      "Head",
      "Do",
    ],
  },
  HttpResponse: {
    // Port 9 (discard) refuses at once on loopback: a response object with a transport error.
    make: 'HttpCli().Url("http://127.0.0.1:9/").Timeout(2).Get()',
    names: ["Ok", "IsValid", "StatusCode", "BodyAsString", "Header", "ErrorMsg"],
  },
};

/** Names declared at the top level of aft.d.ts as values (not types only). */
function declaredValues(dts: string): Set<string> {
  const out = new Set<string>();
  for (const m of dts.matchAll(/^declare (?:function|const|let|var|class) (\w+)/gm)) out.add(m[1]!);
  return out;
}

/** Globals a plain worker with no permissions has, before any prelude. */
async function baselineGlobals(): Promise<Set<string>> {
  const src = "self.postMessage(Object.getOwnPropertyNames(globalThis));";
  const url = `data:application/javascript,${encodeURIComponent(src)}`;
  const w = new Worker(url, { type: "module", deno: { permissions: "none" } } as WorkerOptions);
  try {
    return await new Promise<Set<string>>((resolve, reject) => {
      w.onmessage = (e) => resolve(new Set(e.data as string[]));
      w.onerror = (e) => reject(e);
    });
  } finally {
    w.terminate();
  }
}

interface Seen {
  globals: string[];
  missing: Record<string, string[]>;
}

/** Runs a script under `aft run` that reports its globals and which contract members it lacks. */
async function seenFromScript(): Promise<Seen> {
  const data = await tempDataDir();
  try {
    const checks = Object.entries(MEMBERS).map(([type, { make, names }]) =>
      `(function () { var o = ${make}; var miss = []; ${JSON.stringify(names)}.forEach(` +
      `function (n) { if (!(n in o)) miss.push(n); }); if (miss.length) missing[${
        JSON.stringify(type)
      }] = miss; })();`
    ).join("\n");
    const script = join(data, "surface.syncjs");
    await Deno.writeTextFile(
      script,
      // In a function, so the script's own variables are not globals.
      `(function () {\nvar missing = {};\n${checks}\n` +
        `Log.Info("SURFACE " + JSON.stringify({ globals: Object.getOwnPropertyNames(globalThis), missing: missing }));\n})();`,
    );
    const set = await runAft(["settings", "set", "allowCliRun", "true"], { data });
    assert.equal(set.code, 0, set.stderr);
    const r = await runAft(["run", "-f", script], { data });
    assert.equal(r.code, 0, r.stdout + r.stderr);
    const line = r.stdout.split("\n").find((l) => l.includes("SURFACE "));
    assert.ok(line, r.stdout);
    return JSON.parse(line.slice(line.indexOf("SURFACE ") + 8));
  } finally {
    await Deno.remove(data, { recursive: true });
  }
}

Deno.test("the spec's names are the ones this test checks", async (t) => {
  let spec: string;
  try {
    spec = await Deno.readTextFile(SPEC);
  } catch {
    // The spec lives beside the project in the team's workspace, not in the repository.
    t.step({ name: "spec file not present: skipped", ignore: true, fn: () => {} });
    return;
  }
  const known = new Set([...GLOBALS, ...Object.values(MEMBERS).flatMap((m) => m.names)]);
  // Every code-formatted identifier of the spec (`Name`, `Name(args)`, `new Name()`, `.Name`).
  const named = new Set<string>();
  for (const m of spec.matchAll(/`([^`]+)`/g)) {
    const id = /^(?:new )?\.?([A-Za-z_][\w]*)/.exec(m[1]!.trim());
    if (id && /^[A-Z]/.test(id[1]!)) named.add(id[1]!);
  }
  // Spelled in the spec but not API names: type names, JS built-ins and option values.
  const notApi = new Set([
    "JSON",
    "Date",
    "Math",
    "RegExp",
    "Deno",
    "Uint8Array",
    "Name",
    "Path",
    "Size",
    "ModTime",
    "IsDir",
    "Mode",
    "Info",
    "Infos",
    "Text",
    "Bytes",
    "Files",
    "TimeStamp",
    "Event",
    "Object",
    "Options",
  ]);
  const unknown = [...named].filter((n) => !known.has(n) && !notApi.has(n));
  assert.deepEqual(unknown, [], "names in spec/script-api.md this test does not check");
});

Deno.test("prelude, aft.d.ts and docs/script-api.md agree on every name", async () => {
  const [seen, base, docs] = await Promise.all([
    seenFromScript(),
    baselineGlobals(),
    Deno.readTextFile(DOCS),
  ]);
  const runtime = new Set(seen.globals);
  const declared = declaredValues(AFT_DTS);

  // The contract's globals exist in a script, and their members too.
  assert.deepEqual(GLOBALS.filter((g) => !runtime.has(g)), [], "globals missing in a script");
  assert.deepEqual(seen.missing, {}, "members missing on the objects scripts get");

  // Everything the prelude adds is declared, and everything declared exists.
  const added = [...runtime].filter((g) => !base.has(g));
  assert.deepEqual(added.filter((g) => !declared.has(g)), [], "globals not in aft.d.ts");
  assert.deepEqual([...declared].filter((d) => !runtime.has(d)), [], "declared, not defined");

  // The docs mention every declared global and every contract member.
  const mentioned = (n: string) => new RegExp(`\\b${n}\\b`).test(docs);
  assert.deepEqual([...declared].filter((d) => !mentioned(d)), [], "globals the docs omit");
  const members = [...new Set(Object.values(MEMBERS).flatMap((m) => m.names))];
  assert.deepEqual(members.filter((n) => !mentioned(n)), [], "members the docs omit");
});

Deno.test("aft.d.ts declares every member; the docs' and examples/ scripts type-check against it", async () => {
  const dir = await Deno.makeTempDir({ prefix: "aft-types-" });
  try {
    const types = await runAft(["types"], { cwd: dir });
    assert.equal(types.code, 0, types.stderr);
    assert.equal(await Deno.readTextFile(join(dir, "aft.d.ts")), AFT_DTS);

    // Members: a list typed as the interface's keys fails to check if one is not declared.
    const lines = ['/// <reference path="./aft.d.ts" />'];
    for (const [type, { names }] of Object.entries(MEMBERS)) {
      lines.push(`export const _${type}: (keyof ${type})[] = ${JSON.stringify(names)};`);
    }
    lines.push(`export const _globals: unknown[] = [${GLOBALS.join(", ")}];`);
    await Deno.writeTextFile(join(dir, "members.ts"), lines.join("\n") + "\n");

    // The docs' examples, each as a checked script.
    const docs = await Deno.readTextFile(DOCS);
    const examples = [...docs.matchAll(/```js\n([\s\S]*?)```/g)].map((m) => m[1]!);
    assert.ok(examples.length >= 8, `only ${examples.length} examples in the docs`);
    const files = ["members.ts"];
    examples.forEach((code, i) => {
      const name = `example${i + 1}.js`;
      files.push(name);
      Deno.writeTextFileSync(
        join(dir, name),
        `// @ts-check\n/// <reference path="./aft.d.ts" />\n${code}`,
      );
    });
    await Deno.writeTextFile(join(dir, "deno.json"), "{}\n");
    await denoCheck(dir, files);

    // The scenario examples too; they are plain JavaScript (and the seed script must stay as
    // published), so the check is TypeScript's non-strict one: names, arities and types of the
    // API, not implicit `any`s.
    const exDir = join(dir, "examples");
    await Deno.mkdir(exDir);
    await Deno.copyFile(join(dir, "aft.d.ts"), join(exDir, "aft.d.ts"));
    await Deno.writeTextFile(
      join(exDir, "deno.json"),
      JSON.stringify({ compilerOptions: { strict: false } }),
    );
    const exFiles: string[] = [];
    for (const e of Deno.readDirSync(new URL("examples/", ROOT))) {
      if (!e.name.endsWith(".syncjs")) continue;
      const name = e.name.replace(/\.syncjs$/, ".js");
      exFiles.push(name);
      const code = await Deno.readTextFile(new URL(`examples/${e.name}`, ROOT));
      await Deno.writeTextFile(
        join(exDir, name),
        `// @ts-check\n/// <reference path="./aft.d.ts" />\n${code}`,
      );
    }
    assert.ok(exFiles.length >= 11, `only ${exFiles.length} examples`);
    await denoCheck(exDir, exFiles);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

async function denoCheck(cwd: string, files: string[]): Promise<void> {
  const out = await new Deno.Command(Deno.execPath(), {
    args: ["check", "--quiet", ...files],
    cwd,
    env: { NO_COLOR: "1" },
    stdout: "piped",
    stderr: "piped",
  }).output();
  const dec = new TextDecoder();
  assert.equal(out.code, 0, dec.decode(out.stdout) + dec.decode(out.stderr));
}
