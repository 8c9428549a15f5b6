/**
 * The checks of `aft doctor`, each a small function that finds one thing that usually goes
 * wrong and says how to fix it. A check never throws: what it cannot find out is its finding.
 *
 * @module
 */

// @peculiar/x509 needs the Reflect metadata API before it loads.
import "reflect-metadata";
import * as x509 from "@peculiar/x509";
import { join } from "node:path";
import { statfs } from "node:fs/promises";
import {
  checkName,
  type Engine,
  escapeControls,
  folderForm,
  isCanonicalName,
  type ServiceInfo,
  type Settings,
} from "../engine/mod.ts";
import { VERSION } from "../version.ts";

/** One finding. */
export interface Check {
  /** What was checked, e.g. "master key permissions". */
  name: string;
  status: "ok" | "warn" | "fail" | "skip";
  /** What was found. */
  detail: string;
  /** How to fix it (with warn and fail). */
  fix?: string;
}

const GiB = 1024 ** 3;
const DAY = 24 * 3600 * 1000;

const ok = (name: string, detail: string): Check => ({ name, status: "ok", detail });

function modeText(mode: number): string {
  return (mode & 0o777).toString(8).padStart(4, "0");
}

/** The data directory and the private files in it are readable by their owner only. */
export async function checkPermissions(dataDir: string): Promise<Check[]> {
  if (Deno.build.os === "windows") {
    return [{
      name: "permissions",
      status: "skip",
      detail: "file modes are not used on Windows (the data directory's ACL protects it)",
    }];
  }
  const out: Check[] = [];
  const st = await Deno.stat(dataDir).catch(() => undefined);
  if (!st) {
    return [{
      name: "data directory",
      status: "fail",
      detail: `"${dataDir}" does not exist`,
      fix: "run aft serve (or sudo aft svc install) once, or point --data at the right folder",
    }];
  }
  const dirMode = st.mode ?? 0;
  out.push(
    (dirMode & 0o077) === 0
      ? ok("data directory permissions", `"${dataDir}" is private (${modeText(dirMode)})`)
      : {
        name: "data directory permissions",
        status: "fail",
        detail: `"${dataDir}" is open to other users (mode ${modeText(dirMode)})`,
        fix: `chmod 700 "${dataDir}"`,
      },
  );
  const files = [
    "master.key",
    "service.token",
    "config.json",
    "aft.db",
    join("tls", "server.key"),
    join("tls", "ca.key"),
  ];
  const open: Check[] = [];
  let seen = 0;
  for (const f of files) {
    const path = join(dataDir, f);
    const fst = await Deno.stat(path).catch(() => undefined);
    if (!fst) continue;
    seen++;
    const mode = fst.mode ?? 0;
    if ((mode & 0o077) === 0) continue;
    const world = (mode & 0o004) !== 0;
    open.push({
      name: f === "master.key" ? "master key permissions" : `${f} permissions`,
      status: "fail",
      detail:
        `"${path}" is readable by ${world ? "every user" : "its group"} (mode ${modeText(mode)})` +
        (f === "master.key" ? ": it decrypts every secret" : ""),
      fix: `chmod 600 "${path}"` +
        (f === "master.key" ? ", and consider the secrets exposed: set them again" : ""),
    });
  }
  out.push(
    ...(open.length > 0
      ? open
      : [ok("key file permissions", `${seen} private file(s) readable by their owner only`)]),
  );
  return out;
}

/** Free space of the file system holding the data directory. */
export async function checkDisk(dataDir: string): Promise<Check> {
  const name = "free disk space";
  let fs;
  try {
    fs = await statfs(dataDir);
  } catch (err) {
    return {
      name,
      status: "skip",
      detail: `cannot read the file system's size: ${(err as Error).message}`,
    };
  }
  const total = Number(fs.blocks) * Number(fs.bsize);
  const free = Number(fs.bavail) * Number(fs.bsize);
  const limit = Math.min(total * 0.05, GiB);
  const pct = total > 0 ? (free / total) * 100 : 0;
  const detail = `${fmtBytes(free)} free of ${fmtBytes(total)} (${
    pct.toFixed(1)
  }%) where "${dataDir}" is`;
  const fix =
    "free space (old job logs go with a shorter jobRetentionDays), or move the data directory to a larger disk";
  if (free < limit) return { name, status: "fail", detail: `${detail}: nearly full`, fix };
  if (free < 2 * limit) return { name, status: "warn", detail: `${detail}: getting full`, fix };
  return ok(name, detail);
}

function fmtBytes(n: number): string {
  if (n >= GiB) return `${(n / GiB).toFixed(1)} GiB`;
  if (n >= 1024 ** 2) return `${(n / 1024 ** 2).toFixed(1)} MiB`;
  return `${Math.round(n / 1024)} KiB`;
}

/** The store opens and its own integrity check passes. */
export async function checkStore(engine: Engine, dataDir: string): Promise<Check> {
  const name = "database integrity";
  const { kind, location } = engine.maintenance.store();
  try {
    const problems = await engine.maintenance.integrityCheck();
    if (problems === undefined) return ok(name, `the ${kind} store at ${location} answers`);
    if (problems.length === 0) return ok(name, `PRAGMA integrity_check of ${location}: ok`);
    return {
      name,
      status: "fail",
      detail: `PRAGMA integrity_check of ${location}: ${problems.slice(0, 3).join("; ")}`,
      fix:
        "stop the service and restore the last backup (aft restore FILE --force), or a copy from DATA/backups",
    };
  } catch (err) {
    return {
      name,
      status: "fail",
      detail: (err as Error).message,
      fix: await storeFailureFix(dataDir),
    };
  }
}

/**
 * What to do about a store that does not open or cannot be read. The data directory is tried
 * first: a full disk, a read-only file system or a folder this user may not write to make a
 * sound database fail to open too, and restoring a backup over it would lose what it holds.
 */
export async function storeFailureFix(dataDir: string): Promise<string> {
  const restore =
    "if the database itself is damaged, aft restore FILE --force brings back a backup";
  const probe = join(dataDir, `.doctor-${crypto.randomUUID()}`);
  try {
    await Deno.writeFile(probe, new Uint8Array(4096), { createNew: true, mode: 0o600 });
    await Deno.remove(probe);
    return `see the message; ${restore}`;
  } catch (err) {
    await Deno.remove(probe).catch(() => {});
    const m = (err as Error).message;
    const why = /No space left|os error 28\b|ENOSPC/i.test(m)
      ? "the disk holding the data directory is full: free space and try again"
      : /Read-only file system|os error 30\b|EROFS/i.test(m)
      ? "the data directory is on a read-only file system: mount it read-write and try again"
      : err instanceof Deno.errors.PermissionDenied
      ? "this user may not write to the data directory: run aft as the user that owns it"
      : `the data directory cannot be written to (${m})`;
    return `${why}; the database itself may be sound: do not restore a backup over it for this`;
  }
}

/** The service's TLS certificate is valid for more than 30 days. */
export async function checkCertificate(dataDir: string, now = Date.now()): Promise<Check> {
  const name = "TLS certificate";
  const path = join(dataDir, "tls", "server.pem");
  const pem = await Deno.readTextFile(path).catch(() => undefined);
  if (pem === undefined) {
    return {
      name,
      status: "skip",
      detail: `no "${path}" yet: aft serve makes it on its first start`,
    };
  }
  let notAfter: Date;
  try {
    notAfter = new x509.X509Certificate(pem).notAfter;
  } catch (err) {
    return {
      name,
      status: "fail",
      detail: `"${path}" cannot be read: ${(err as Error).message}`,
      fix: `remove "${path}" and restart the service, which makes a new one`,
    };
  }
  const days = Math.floor((notAfter.getTime() - now) / DAY);
  const fix =
    "restart the service (sudo aft svc restart, or aft serve): it renews a certificate within 30 days of its end";
  if (notAfter.getTime() <= now) {
    return { name, status: "fail", detail: `"${path}" expired on ${notAfter.toISOString()}`, fix };
  }
  if (days < 30) {
    return {
      name,
      status: "warn",
      detail: `"${path}" expires in ${days} day(s), on ${notAfter.toISOString()}`,
      fix,
    };
  }
  return ok(name, `valid until ${notAfter.toISOString().slice(0, 10)} (${days} days)`);
}

/** The service runs on this data directory, answers its health check, and is this version. */
export async function checkService(
  running: { info: ServiceInfo; caPem?: string } | undefined,
  up: boolean,
  manager: string | undefined,
): Promise<Check> {
  const name = "service";
  const start = manager ?? "start it: sudo aft svc start, or aft serve";
  if (!running || !up) {
    return {
      name,
      status: "fail",
      detail: "no aft service runs on this data directory",
      fix: start,
    };
  }
  const { info } = running;
  let health: { status?: string; version?: string } | undefined;
  try {
    const client = running.caPem ? Deno.createHttpClient({ caCerts: [running.caPem] }) : undefined;
    try {
      const res = await fetch(`https://${info.connect}/v1/health`, {
        client,
        signal: AbortSignal.timeout(5000),
      });
      health = await res.json();
    } finally {
      client?.close();
    }
  } catch (err) {
    return {
      name,
      status: "fail",
      detail: `the service (pid ${info.pid}, ${info.listen}) does not answer /v1/health: ${
        (err as Error).message
      }`,
      fix: "look at its log (DATA/logs/aft.log), then restart it: sudo aft svc restart",
    };
  }
  const version = health?.version ?? info.version;
  const state = health?.status ?? "ok";
  if (state !== "ok") {
    return {
      name,
      status: "warn",
      detail: `aft ${version} (pid ${info.pid}, ${info.listen}) says it is ${state}`,
      fix: "look at its log (DATA/logs/aft.log)",
    };
  }
  if (version !== VERSION) {
    return {
      name,
      status: "warn",
      detail: `the service runs aft ${version}, this is aft ${VERSION}`,
      fix: "restart it to run this version: sudo aft svc restart",
    };
  }
  return ok(name, `aft ${version} runs (pid ${info.pid}, https://${info.listen})`);
}

/** The listen address is free, or held by this data directory's own service. */
export function checkPort(
  listen: string,
  running: ServiceInfo | undefined,
): Check {
  const name = "listen port";
  const m = /^\[?([^\]]*?)\]?:(\d+)$/.exec(listen);
  if (!m) {
    return {
      name,
      status: "fail",
      detail: `the setting listen "${listen}" is not HOST:PORT`,
      fix: "aft settings set listen 127.0.0.1:44399",
    };
  }
  const [, host, portText] = m;
  const port = Number(portText);
  if (running && Number(running.listen.replace(/^.*:/, "")) === port) {
    return ok(name, `${listen} is held by this data directory's service (pid ${running.pid})`);
  }
  try {
    const l = Deno.listen({ hostname: host!, port });
    l.close();
    return ok(name, `${listen} is free for the service`);
  } catch (err) {
    if (err instanceof Deno.errors.AddrInUse) {
      return {
        name,
        status: "fail",
        detail: `${listen} is in use by another program`,
        fix:
          `find it (ss -ltnp 'sport = :${port}', or netstat -ano on Windows), or choose another address: aft settings set listen HOST:PORT`,
      };
    }
    if (err instanceof Deno.errors.PermissionDenied) {
      return {
        name,
        status: "warn",
        detail: `${listen} needs privileges to listen on`,
        fix: "run the service as root, or use a port above 1023",
      };
    }
    return {
      name,
      status: "fail",
      detail: `cannot listen on ${listen}: ${(err as Error).message}`,
      fix: "aft settings set listen HOST:PORT with an address of this machine",
    };
  }
}

/** The SMTP server of the settings accepts a connection (and greets, without implicit TLS). */
export async function checkSmtp(settings: Settings): Promise<Check> {
  const name = "SMTP";
  const host = settings["smtp.host"];
  if (!host) return { name, status: "skip", detail: "no SMTP server set (smtp.host)" };
  const port = settings["smtp.port"];
  const fix =
    "check smtp.host and smtp.port (aft settings get), the server and the firewall between";
  try {
    const conn = await withTimeout<Deno.Conn>(
      settings["smtp.tls"] === "tls"
        ? Deno.connectTls({ hostname: host, port })
        : Deno.connect({ hostname: host, port }),
      5000,
    );
    try {
      if (settings["smtp.tls"] !== "tls") {
        const buf = new Uint8Array(512);
        const n = await withTimeout(conn.read(buf), 5000);
        const greeting = new TextDecoder().decode(buf.subarray(0, n ?? 0));
        if (!greeting.startsWith("220")) {
          return {
            name,
            status: "fail",
            detail: `${host}:${port} answers but not as an SMTP server ("${
              greeting.trim().slice(0, 60)
            }")`,
            fix,
          };
        }
      }
    } finally {
      conn.close();
    }
    return ok(name, `${host}:${port} is reachable`);
  } catch (err) {
    return {
      name,
      status: "fail",
      detail: `${host}:${port} is not reachable: ${(err as Error).message}`,
      fix,
    };
  }
}

/**
 * How a record stored under a name not in NFC is made canonical: a rename to the same name
 * stores it in NFC (same ID, schedules still find a script); what cannot be renamed is made anew.
 */
const RENAME_TO_NFC: Record<string, string> = {
  script:
    'rename the script to the same name, which stores it in NFC: PUT /v1/adm/scripts/ID with {"name": NAME}, or its page in the console',
  VFS:
    'rename the VFS entry to the same name, which stores it in NFC: PATCH /v1/adm/vfs/ID with {"name": NAME}, or its page in the console',
  schedule:
    'rename the schedule to the same name, which stores it in NFC: PATCH /v1/adm/schedules/ID with {"name": NAME}, or its page in the console',
  secret: "aft secret rm NAME, then aft secret set NAME (a secret set now is stored in NFC)",
  "API key": "aft apikey create NAME, then aft apikey rm ID (a key made now is named in NFC)",
};

/**
 * What was stored before this version's checks: names that `checkName` now refuses ("..",
 * control characters, the shape of an ID), names not in Unicode NFC (canonical_names.ts), and
 * schedules whose cron expression it now refuses.
 * They still work where they worked, but a name of "." or ".." breaks its console links, and
 * an ID-shaped name can be taken for another record's ID.
 */
export async function checkStoredNames(engine: Engine): Promise<Check> {
  const found: string[] = [];
  const fixes = new Set<string>();
  const renames = new Set<string>();
  try {
    // Read once: their names and their cron expressions are both looked at.
    const schedules = await engine.schedules.list();
    const kinds: [string, { id?: string; name: string }[], string][] = [
      ["script", await engine.scripts.list(), "aft script add NEW -f FILE, then aft script rm OLD"],
      ["VFS", await engine.vfs.list(), "aft vfs add NEW ..., then aft vfs rm OLD"],
      ["secret", await engine.secrets.list(), "aft secret set NEW, then aft secret rm OLD"],
      ["API key", await engine.apikeys.list(), "aft apikey create NEW, then aft apikey rm OLD"],
      ["schedule", schedules, "aft schedule add NEW ..., then aft schedule rm OLD"],
    ];
    for (const [what, records, fix] of kinds) {
      for (const r of records) {
        try {
          checkName(what, r.name);
        } catch (err) {
          // With the ID: two such names may read the same (an empty one, "..").
          found.push(`${(err as Error).message}${r.id ? ` (ID ${r.id})` : ""}`);
          fixes.add(fix);
          continue;
        }
        if (!isCanonicalName(r.name)) {
          // Reachable by either spelling, but it reads the same as the other spelling.
          found.push(
            `${what} "${escapeControls(r.name)}"${
              r.id ? ` (ID ${r.id})` : ""
            } is not in Unicode NFC, as names are stored now`,
          );
          renames.add(RENAME_TO_NFC[what] ?? fix);
        }
      }
    }
    for (const s of schedules) {
      try {
        await engine.schedules.preview(s.cron, { count: 1 });
      } catch (err) {
        found.push(`schedule "${s.name}": ${(err as Error).message}`);
        fixes.add(
          "change its expression in the console's Schedules page or with PATCH /v1/adm/schedules/ID",
        );
      }
    }
  } catch (err) {
    return { name: "stored names", status: "skip", detail: (err as Error).message };
  }
  if (found.length === 0) {
    return ok("stored names", "every stored name and cron expression is valid");
  }
  return {
    name: "stored names",
    status: "warn",
    detail: `${found.length} stored before this version's checks: ${found.join("; ")}`,
    fix: [
      ...(fixes.size > 0
        ? [`make each anew under a valid name and remove the old one (${[...fixes].join("; ")})`]
        : []),
      ...renames,
    ].join("; "),
  };
}

/**
 * The folders of `localRoots` and `scriptRoots` as they are stored now: resolved, once each.
 * An older version stored them as written (`/srv/in/../..`, which is `/`, the whole disk).
 */
export function checkRootFolders(settings: Settings): Check {
  const name = "allowed folders";
  const found: string[] = [];
  const fixes: string[] = [];
  for (const key of ["localRoots", "scriptRoots"] as const) {
    const stored = settings[key];
    const forms = [...new Set(stored.map(folderForm))];
    const odd = stored.filter((v) => folderForm(v) !== v);
    if (odd.length === 0 && forms.length === stored.length) continue;
    found.push(
      `${key} holds ${
        odd.map((v) => `"${escapeControls(v)}" (that is "${escapeControls(folderForm(v))}")`)
          .join(", ") || "a folder twice"
      }`,
    );
    fixes.push(`aft settings set ${key} '${JSON.stringify(forms)}'`);
  }
  if (found.length === 0) return ok(name, "localRoots and scriptRoots are stored resolved");
  return {
    name,
    status: "warn",
    detail: `stored before this version resolved them: ${found.join("; ")}`,
    fix: `store them again, resolved: ${fixes.join("; ")}`,
  };
}

/** Every VFS Library entry connects and lists its root. */
export async function checkVfs(engine: Engine): Promise<Check[]> {
  const entries = await engine.vfs.list();
  if (entries.length === 0) return [{ name: "VFS Library", status: "skip", detail: "no entries" }];
  const out: Check[] = [];
  for (const e of entries) {
    const name = `VFS "${e.name}"`;
    try {
      await withTimeout(engine.vfs.test(e.name), 30_000);
      out.push(ok(name, `${e.type} ${e.target} connects and lists its root`));
    } catch (err) {
      out.push({
        name,
        status: "fail",
        detail: (err as Error).message,
        fix:
          `check it with aft vfs test "${e.name}", then fix it with aft vfs add "${e.name}" --replace ...`,
      });
    }
  }
  return out;
}

function withTimeout<T>(p: Promise<T>, ms: number): Promise<T> {
  let timer: ReturnType<typeof setTimeout> | undefined;
  return Promise.race([
    p,
    new Promise<never>((_, rej) => {
      timer = setTimeout(() => rej(new Error(`no answer in ${ms / 1000} s`)), ms);
    }),
  ]).finally(() => clearTimeout(timer));
}
