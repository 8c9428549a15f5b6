/**
 * The operating system's trust store, for `aft tls trust` and `aft tls untrust`: which store this
 * machine has, the commands that add the service's local CA to it and take it out again, and a
 * record (`DATA/tls/trusted.json`) of what was added, so that `untrust` removes exactly that.
 *
 * Stores: Linux in the Debian layout (`/usr/local/share/ca-certificates/*.crt`, then
 * `update-ca-certificates`) or the Red Hat one (`/etc/pki/ca-trust/source/anchors`, then
 * `update-ca-trust extract`); macOS's System keychain (`security add-trusted-cert`); Windows'
 * machine Root store (`certutil -addstore`). Every one of them is writable by root (an
 * administrator on Windows) only.
 *
 * @module
 */

import { join } from "node:path";

/** A trust store kind this module can write to. */
export type StoreKind = "debian" | "redhat" | "macos" | "windows";

/** Where a Linux layout keeps added roots and the command that rebuilds its bundle. */
export interface LinuxLayout {
  kind: "debian" | "redhat";
  /** Folder of added roots. */
  dir: string;
  /** File name extension the rebuild command picks up. */
  ext: string;
  /** Rebuilds the bundles after an addition. */
  refresh: string[];
  /** Rebuilds the bundles after a removal (Debian's plain run would leave dangling links). */
  refreshAfterRemoval: string[];
}

/** The Linux layouts, in the order they are looked for. */
export const LINUX_LAYOUTS: readonly LinuxLayout[] = [
  {
    kind: "debian",
    dir: "/usr/local/share/ca-certificates",
    ext: ".crt",
    refresh: ["update-ca-certificates"],
    refreshAfterRemoval: ["update-ca-certificates", "--fresh"],
  },
  {
    kind: "redhat",
    dir: "/etc/pki/ca-trust/source/anchors",
    ext: ".pem",
    refresh: ["update-ca-trust", "extract"],
    refreshAfterRemoval: ["update-ca-trust", "extract"],
  },
];

/** macOS's machine-wide keychain. */
export const MACOS_KEYCHAIN = "/Library/Keychains/System.keychain";

/** One CA that `aft tls trust` added, as recorded for `untrust`. */
export interface TrustEntry {
  store: StoreKind;
  /** Linux: the file written into the layout's folder. */
  file?: string;
  /** SHA-1 of the certificate (hex, upper case): how macOS and Windows name it. */
  sha1: string;
  /** SHA-256 of the certificate (hex, upper case). */
  sha256: string;
  /** The certificate as added. */
  pem: string;
  addedAt: string;
}

/** A command to run (as root, or as an administrator on Windows). */
export interface Step {
  argv: string[];
  /** For `untrust` on Linux: run only while this file still holds the recorded certificate. */
  onlyIfFileHolds?: { file: string; pem: string };
}

/** What a Linux machine has: folders and commands. */
export interface Probe {
  isDir(path: string): Promise<boolean>;
  hasCommand(name: string): Promise<boolean>;
}

/** The trust store of this machine, or undefined when none is known. */
export async function detectStore(
  os: typeof Deno.build.os = Deno.build.os,
  probe: Probe = systemProbe,
): Promise<StoreKind | undefined> {
  if (os === "darwin") return "macos";
  if (os === "windows") return "windows";
  if (os !== "linux") return undefined;
  for (const l of LINUX_LAYOUTS) {
    if (await probe.isDir(l.dir) && await probe.hasCommand(l.refresh[0]!)) return l.kind;
  }
  return undefined;
}

function layout(kind: StoreKind): LinuxLayout | undefined {
  return LINUX_LAYOUTS.find((l) => l.kind === kind);
}

/** The entry `trust` records for `pem` in `store` (the file name is made from its SHA-256). */
export async function entryFor(store: StoreKind, pem: string): Promise<TrustEntry> {
  const der = pemToDer(pem);
  const sha1 = await hexDigest("SHA-1", der);
  const sha256 = await hexDigest("SHA-256", der);
  const l = layout(store);
  return {
    store,
    file: l ? join(l.dir, `aft-local-ca-${sha256.slice(0, 16).toLowerCase()}${l.ext}`) : undefined,
    sha1,
    sha256,
    pem,
    addedAt: new Date().toISOString(),
  };
}

/** The commands that add the certificate in `pemFile` (the entry's) to the store. */
export function trustSteps(entry: TrustEntry, pemFile: string): Step[] {
  switch (entry.store) {
    case "debian":
    case "redhat":
      return [
        { argv: ["install", "-m", "0644", pemFile, entry.file!] },
        { argv: layout(entry.store)!.refresh },
      ];
    case "macos":
      return [{
        argv: [
          "security",
          "add-trusted-cert",
          "-d",
          "-r",
          "trustRoot",
          "-k",
          MACOS_KEYCHAIN,
          pemFile,
        ],
      }];
    case "windows":
      return [{ argv: ["certutil", "-addstore", "-f", "Root", pemFile] }];
  }
}

/** The commands that take out what `trustSteps` put in; `pemFile` holds the entry's PEM. */
export function untrustSteps(entry: TrustEntry, pemFile: string): Step[] {
  switch (entry.store) {
    case "debian":
    case "redhat":
      return [
        { argv: ["rm", "-f", entry.file!], onlyIfFileHolds: { file: entry.file!, pem: entry.pem } },
        { argv: layout(entry.store)!.refreshAfterRemoval },
      ];
    case "macos":
      return [
        { argv: ["security", "remove-trusted-cert", "-d", pemFile] },
        { argv: ["security", "delete-certificate", "-Z", entry.sha1, MACOS_KEYCHAIN] },
      ];
    case "windows":
      return [{ argv: ["certutil", "-delstore", "Root", entry.sha1] }];
  }
}

/** Where `trust` records what it added. */
export function recordFile(dataDir: string): string {
  return join(dataDir, "tls", "trusted.json");
}

/** The recorded entries (none when nothing was added). */
export async function readRecord(dataDir: string): Promise<TrustEntry[]> {
  try {
    const parsed = JSON.parse(await Deno.readTextFile(recordFile(dataDir)));
    return Array.isArray(parsed?.entries) ? parsed.entries as TrustEntry[] : [];
  } catch (err) {
    if (err instanceof Deno.errors.NotFound) return [];
    throw err;
  }
}

/** Writes the record (0600); an empty one is removed. */
export async function writeRecord(dataDir: string, entries: TrustEntry[]): Promise<void> {
  const file = recordFile(dataDir);
  if (entries.length === 0) {
    await Deno.remove(file).catch((err) => {
      if (!(err instanceof Deno.errors.NotFound)) throw err;
    });
    return;
  }
  await Deno.writeTextFile(file, JSON.stringify({ entries }, null, 2) + "\n", { mode: 0o600 });
  if (Deno.build.os !== "windows") await Deno.chmod(file, 0o600);
}

/** The DER bytes of the first certificate in a PEM text. */
export function pemToDer(pem: string): Uint8Array {
  const m = /-----BEGIN CERTIFICATE-----([\s\S]+?)-----END CERTIFICATE-----/.exec(pem);
  if (!m) throw new Error("no certificate in the PEM text");
  const bin = atob(m[1]!.replace(/\s+/g, ""));
  return Uint8Array.from(bin, (c) => c.charCodeAt(0));
}

async function hexDigest(alg: "SHA-1" | "SHA-256", data: Uint8Array): Promise<string> {
  const d = new Uint8Array(await crypto.subtle.digest(alg, data as Uint8Array<ArrayBuffer>));
  return [...d].map((b) => b.toString(16).padStart(2, "0")).join("").toUpperCase();
}

/** Asks the real machine. */
export const systemProbe: Probe = {
  async isDir(path) {
    try {
      return (await Deno.stat(path)).isDirectory;
    } catch {
      return false;
    }
  },
  async hasCommand(name) {
    return (await findCommand(name)) !== undefined;
  },
};

/** The path of `name` on PATH or in the sbin folders a user's PATH may lack. */
export async function findCommand(name: string): Promise<string | undefined> {
  const sep = Deno.build.os === "windows" ? ";" : ":";
  const dirs = [
    ...(Deno.env.get("PATH") ?? "").split(sep).filter(Boolean),
    "/usr/local/sbin",
    "/usr/sbin",
    "/sbin",
  ];
  const exts = Deno.build.os === "windows" ? [".exe", ".cmd", ".bat", ""] : [""];
  for (const d of dirs) {
    for (const e of exts) {
      const p = join(d, name + e);
      try {
        if ((await Deno.stat(p)).isFile) return p;
      } catch { /* not here */ }
    }
  }
  return undefined;
}
