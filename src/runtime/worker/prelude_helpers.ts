/**
 * Local-disk helpers (carried out by the host, within the `localRoots` setting), path helpers
 * and time helpers.
 *
 * @module
 */

import type { Bridge } from "./host_bridge.ts";
import type { ResultData, ScriptFileInfo } from "../protocol/calls.ts";
import { Result } from "./prelude_result.ts";
import { formatDateTime } from "./format_time.ts";

/** Installs the helpers. */
export function installHelpers(bridge: Bridge): void {
  const str = (v: unknown, what: string): string => {
    if (typeof v !== "string") throw new bridge.TypeError(`${what} takes a string path`);
    return v;
  };
  const result = (op: string, ...args: unknown[]) =>
    new Result(bridge.call("local", op, args) as ResultData);

  bridge.define(
    "FileExists",
    (p: unknown) => bridge.call("local", "fileExists", [str(p, "FileExists")]) === true,
  );
  bridge.define(
    "DirExists",
    (p: unknown) => bridge.call("local", "dirExists", [str(p, "DirExists")]) === true,
  );
  bridge.define("ReadTextFile", (p: unknown) => {
    const r = bridge.call("local", "readTextFile", [str(p, "ReadTextFile")]) as ResultData;
    return r.ok ? r.text ?? "" : "";
  });
  bridge.define(
    "WriteTextFile",
    (p: unknown, text: unknown) =>
      result("writeTextFile", str(p, "WriteTextFile"), String(text ?? "")),
  );
  bridge.define(
    "CopyFile",
    (a: unknown, b: unknown) => result("copyFile", str(a, "CopyFile"), str(b, "CopyFile")),
  );
  bridge.define(
    "MoveFile",
    (a: unknown, b: unknown) => result("moveFile", str(a, "MoveFile"), str(b, "MoveFile")),
  );
  bridge.define("DelFile", (p: unknown) => result("delFile", str(p, "DelFile")));
  bridge.define("MakeDir", (p: unknown) => result("makeDir", str(p, "MakeDir")));
  bridge.define("ListLocal", (dir: unknown, mask?: unknown) => {
    const r = bridge.call("local", "listLocal", [str(dir, "ListLocal"), mask ?? "*"]) as ResultData;
    return (r.infos ?? []) as ScriptFileInfo[];
  });

  const strs = (v: unknown, what: string): string[] => {
    if (v === undefined || v === null) return [];
    const list = typeof v === "string" ? [v] : v;
    if (!Array.isArray(list) || !list.every((x) => typeof x === "string")) {
      throw new bridge.TypeError(`${what} takes an array of local file paths`);
    }
    return list;
  };
  const text = (v: unknown, what: string): string => {
    if (typeof v !== "string") throw new bridge.TypeError(`${what} takes strings`);
    return v;
  };
  bridge.define(
    "SendMail",
    (from: unknown, to: unknown, subject: unknown, body: unknown, attachments?: unknown) =>
      new Result(
        bridge.call("mail", [
          text(from ?? "", "SendMail(from, to, subject, body)"),
          text(to, "SendMail(from, to, subject, body)"),
          text(subject ?? "", "SendMail(from, to, subject, body)"),
          text(body ?? "", "SendMail(from, to, subject, body)"),
          strs(attachments, "SendMail(..., attachmentPaths)"),
        ]) as ResultData,
      ),
  );
  bridge.define(
    "Zip",
    (src: unknown, zipPath: unknown) =>
      new Result(
        bridge.call("archive.zip", [str(src, "Zip"), str(zipPath, "Zip")]) as ResultData,
      ),
  );
  bridge.define(
    "Unzip",
    (zipPath: unknown, destDir: unknown) =>
      new Result(
        bridge.call("archive.unzip", [str(zipPath, "Unzip"), str(destDir, "Unzip")]) as ResultData,
      ),
  );
  bridge.define(
    "PGPEncryptFile",
    (inPath: unknown, outPath: unknown, publicKey: unknown) =>
      new Result(
        bridge.call("pgp.encrypt", [
          str(inPath, "PGPEncryptFile"),
          str(outPath, "PGPEncryptFile"),
          text(publicKey, "PGPEncryptFile(inPath, outPath, publicKeyArmored)"),
        ]) as ResultData,
      ),
  );
  bridge.define(
    "PGPDecryptFile",
    (inPath: unknown, outPath: unknown, privateKey: unknown, passphrase?: unknown) =>
      new Result(
        bridge.call("pgp.decrypt", [
          str(inPath, "PGPDecryptFile"),
          str(outPath, "PGPDecryptFile"),
          text(privateKey, "PGPDecryptFile(inPath, outPath, privateKeyArmored, passphrase)"),
          text(passphrase ?? "", "PGPDecryptFile(inPath, outPath, privateKeyArmored, passphrase)"),
        ]) as ResultData,
      ),
  );

  bridge.define("ExtractFileName", (p: unknown) => splitPath(String(p)).name);
  bridge.define("ExtractFileExt", (p: unknown) => {
    const name = splitPath(String(p)).name;
    const dot = name.lastIndexOf(".");
    return dot > 0 ? name.slice(dot) : "";
  });
  bridge.define("ExtractFilePath", (p: unknown) => splitPath(String(p)).dir);
  bridge.define("JoinPath", (...parts: unknown[]) => joinPath(parts.map(String)));
  bridge.define("Timestamp", () => new Date().toISOString());
  bridge.define("FormatDateTime", (date: unknown, layout: unknown) => {
    if (typeof layout !== "string") {
      throw new bridge.TypeError("FormatDateTime(date, layout) takes a layout string");
    }
    try {
      return formatDateTime(date as Date | string | number, layout);
    } catch (err) {
      throw new bridge.TypeError((err as Error).message);
    }
  });
}

/** Splits at the last `/` or `\` (local paths may be Windows paths). */
export function splitPath(p: string): { dir: string; name: string } {
  const i = Math.max(p.lastIndexOf("/"), p.lastIndexOf("\\"));
  if (i < 0) return { dir: "", name: p };
  return { dir: i === 0 ? p[0]! : p.slice(0, i), name: p.slice(i + 1) };
}

/** Joins with `/`, collapsing duplicate separators between parts. */
export function joinPath(parts: string[]): string {
  const kept = parts.filter((p) => p !== "");
  return kept.map((p, i) => {
    let s = p;
    if (i > 0) s = s.replace(/^[/\\]+/, "");
    if (i < kept.length - 1) s = s.replace(/[/\\]+$/, "");
    return s;
  }).join("/");
}
