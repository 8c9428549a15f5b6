/**
 * Backups of a data directory (`aft backup`, `aft restore`). A backup is a tar archive, private
 * (0600), holding in this order:
 *
 * - `manifest.json`: `{ "format": "aft-backup", "version": 1, "aftVersion", "schemaVersion",
 *   "created", "store": "sqlite" | "postgres", "files": [{ "name", "bytes", "sha256" }],
 *   "masterKey" }` (`sha256`, hex, since the nineteenth sitting: older backups have none)
 * - `aft.db`: a consistent copy of the SQLite store (`VACUUM INTO`, taken while the service
 *   runs); absent for PostgreSQL, which `pg_dump` backs up
 * - `tls/ca.pem`, `tls/ca.key`, `tls/server.pem`, `tls/server.key`: the TLS material
 * - `master.key`: only when asked for; the file then decrypts every secret
 *
 * Restoring writes into a data directory no service runs on, and replaces what is there only
 * when forced; a stale write-ahead log of the replaced database is removed with it. Every
 * file is staged and checked against its size and checksum before any is put in place, so a
 * damaged backup changes nothing.
 *
 * @module
 */

import { basename, dirname, join } from "../path.ts";
import { ensureDataDir } from "./data_dir.ts";
import { EngineError, fromStoreError } from "./errors.ts";
import { readServiceFiles, serviceUp } from "./service_file.ts";
import { readTar, type TarSource, writeTar } from "./tar.ts";
import { sha256Hex } from "../sha256.ts";
import type { EngineCore } from "./types.ts";

/** What `manifest.json` in a backup says. */
export interface BackupManifest {
  format: "aft-backup";
  version: 1;
  aftVersion: string;
  schemaVersion: number | null;
  created: string;
  store: "sqlite" | "postgres";
  files: BackupFile[];
  masterKey: boolean;
}

/** A file in a backup, as its manifest lists it. */
export interface BackupFile {
  name: string;
  bytes: number;
  /** Hex SHA-256 of the file (absent in backups written before it was recorded). */
  sha256?: string;
}

/** What a backup holds, as `aft backup` reports it. */
export interface BackupResult {
  manifest: BackupManifest;
  /** False on PostgreSQL: back the database up with pg_dump. */
  storeIncluded: boolean;
}

const DB_NAME = "aft.db";
const KEY_NAME = "master.key";
const TLS_FILES = ["ca.pem", "ca.key", "server.pem", "server.key"];

async function exists(path: string): Promise<boolean> {
  return await Deno.lstat(path).then(() => true, () => false);
}

/** Writes the backup of `core`'s data directory to `out` (a new file). */
export async function writeBackup(
  core: EngineCore,
  out: string,
  opts: { includeMasterKey: boolean; aftVersion: string },
): Promise<BackupResult> {
  if (await exists(out)) {
    throw new EngineError(
      "ALREADY_EXISTS",
      `The file "${out}" already exists: choose another name`,
    );
  }
  const store = core.store;
  const kind = store.kind ?? "sqlite";
  const sources: TarSource[] = [];
  const files: BackupFile[] = [];
  const tmpDb = join(dirname(out), `.${basename(out)}.${crypto.randomUUID()}.db`);
  const partial = `${out}.${crypto.randomUUID()}.partial`;
  // The output's folder is tried first: a folder that cannot take the file is one clear error,
  // not the database copy's failure to open its temporary file there.
  await createOutput(partial, out);
  let schemaVersion: number | null = null;
  try {
    if (store.snapshot) {
      try {
        await store.snapshot(tmpDb);
        schemaVersion = (await store.schemaVersion?.()) ?? null;
      } catch (err) {
        throw fromStoreError(err);
      }
      sources.push({ name: DB_NAME, path: tmpDb });
      files.push({
        name: DB_NAME,
        bytes: (await Deno.stat(tmpDb)).size,
        sha256: await fileSha256(tmpDb),
      });
    }
    for (const f of TLS_FILES) {
      const path = join(core.dataDir, "tls", f);
      if (!await exists(path)) continue;
      const data = await Deno.readFile(path);
      sources.push({ name: `tls/${f}`, data });
      files.push({ name: `tls/${f}`, bytes: data.length, sha256: sha256Hex(data) });
    }
    let masterKey = false;
    if (opts.includeMasterKey) {
      const env = Deno.env.get("AFT_MASTER_KEY");
      const data = env
        ? new TextEncoder().encode(env.trim() + "\n")
        : await Deno.readFile(join(core.dataDir, KEY_NAME)).catch(() => undefined);
      if (data) {
        sources.push({ name: KEY_NAME, data });
        files.push({ name: KEY_NAME, bytes: data.length, sha256: sha256Hex(data) });
        masterKey = true;
      }
    }
    const manifest: BackupManifest = {
      format: "aft-backup",
      version: 1,
      aftVersion: opts.aftVersion,
      schemaVersion,
      created: new Date().toISOString(),
      store: kind,
      files,
      masterKey,
    };
    sources.unshift({
      name: "manifest.json",
      data: new TextEncoder().encode(JSON.stringify(manifest, null, 2) + "\n"),
    });
    try {
      {
        using file = await Deno.open(partial, { write: true, truncate: true });
        if (Deno.build.os !== "windows") await Deno.chmod(partial, 0o600);
        await writeTar(file, sources);
        await file.sync();
      }
      await Deno.rename(partial, out);
    } catch (err) {
      await Deno.remove(partial).catch(() => {});
      throw err;
    }
    return { manifest, storeIncluded: store.snapshot !== undefined };
  } finally {
    await Deno.remove(tmpDb).catch(() => {});
    await Deno.remove(partial).catch(() => {});
  }
}

/** Creates the private, empty `partial` beside `out`, or says why its folder cannot take it. */
async function createOutput(partial: string, out: string): Promise<void> {
  const folder = dirname(out);
  try {
    (await Deno.open(partial, { write: true, createNew: true, mode: 0o600 })).close();
    return;
  } catch (err) {
    const why = err instanceof Deno.errors.NotFound
      ? "the folder does not exist"
      : err instanceof Deno.errors.PermissionDenied
      ? "the folder is not writable"
      : /read-only file system|os error 30\b/i.test((err as Error).message)
      ? "the folder is on a read-only file system"
      : (err as Error).message;
    throw new EngineError(
      "DATA_DIR",
      `Cannot write the backup "${out}" into "${folder}": ${why}`,
      { cause: err },
    );
  }
}

/** Names a backup may hold, and where each goes in the data directory. */
function destinationOf(name: string): string[] | undefined {
  if (name === DB_NAME || name === KEY_NAME) return [name];
  const m = /^tls\/([A-Za-z0-9._-]+)$/.exec(name);
  return m && TLS_FILES.includes(m[1]!) ? ["tls", m[1]!] : undefined;
}

/** What `restoreBackup` did. */
export interface RestoreResult {
  manifest: BackupManifest;
  restored: string[];
}

/**
 * Restores the backup at `file` into `dataDir`: refused while a service runs there, and when
 * the data directory already holds a store, TLS material or master key the backup would
 * replace, unless `force`.
 */
export async function restoreBackup(
  file: string,
  dataDir: string,
  opts: { force: boolean },
): Promise<RestoreResult> {
  if (!await exists(file)) throw new EngineError("FILE_NOT_FOUND", `No file "${file}"`);
  ensureDataDir(dataDir);
  const svc = await readServiceFiles(dataDir);
  if (svc && await serviceUp(svc.info)) {
    throw new EngineError(
      "SERVICE_RUNNING",
      `A service runs on the data directory "${dataDir}" (pid ${svc.info.pid}): stop it before aft restore`,
    );
  }
  // First pass: the manifest, and every name checked before anything is written.
  let manifest: BackupManifest | undefined;
  const names: string[] = [];
  try {
    await readTar(file, async (e) => {
      if (e.name === "manifest.json" && !manifest) {
        manifest = JSON.parse(new TextDecoder().decode(await e.bytes()));
        return;
      }
      if (!destinationOf(e.name)) throw new Error(`unexpected entry "${e.name}"`);
      names.push(e.name);
    });
  } catch (err) {
    throw new EngineError("INVALID", `"${file}" is not an aft backup: ${(err as Error).message}`);
  }
  if (
    manifest?.format !== "aft-backup" || manifest.version !== 1 || !Array.isArray(manifest.files)
  ) {
    throw new EngineError("INVALID", `"${file}" is not an aft backup: no aft-backup manifest`);
  }
  const there: string[] = [];
  for (const n of names) if (await exists(join(dataDir, ...destinationOf(n)!))) there.push(n);
  if (there.length > 0 && !opts.force) {
    throw new EngineError(
      "ALREADY_EXISTS",
      `The data directory "${dataDir}" already holds ${
        there.join(", ")
      }: restore with --force to replace ${there.length > 1 ? "them" : "it"}`,
    );
  }
  await Deno.mkdir(join(dataDir, "tls"), { recursive: true, mode: 0o700 });
  /** Each file written beside its place: temporary path, final path, name in the backup. */
  const staged: [string, string, string][] = [];
  try {
    await readTar(file, async (e) => {
      const dest = destinationOf(e.name);
      if (!dest) return;
      const final = join(dataDir, ...dest);
      const tmp = `${final}.${crypto.randomUUID()}.restore`;
      await e.saveTo(tmp);
      staged.push([tmp, final, e.name]);
    });
    for (const [tmp, , name] of staged) {
      await checkStaged(tmp, manifest.files.find((f) => f.name === name), name, file);
    }
    for (const [tmp, final] of staged) {
      if (basename(final) === DB_NAME) {
        // A write-ahead log left by the replaced database would be applied to the new one.
        for (const side of ["-wal", "-shm", "-journal"]) {
          await Deno.remove(final + side).catch(() => {});
        }
      }
      await Deno.rename(tmp, final);
    }
  } finally {
    for (const [tmp] of staged) await Deno.remove(tmp).catch(() => {});
  }
  return { manifest, restored: names };
}

/**
 * Refuses (INVALID, nothing restored yet) a staged file whose size or checksum is not what the
 * manifest recorded for it, or that the manifest does not list.
 */
async function checkStaged(
  tmp: string,
  listed: BackupFile | undefined,
  name: string,
  file: string,
): Promise<void> {
  const damaged = (why: string) =>
    new EngineError(
      "INVALID",
      `The backup "${file}" is damaged: ${name} ${why}; nothing was restored`,
    );
  if (!listed) throw damaged("is not in its manifest");
  if ((await Deno.stat(tmp)).size !== listed.bytes) {
    throw damaged(`does not have the ${listed.bytes} bytes its manifest lists`);
  }
  if (listed.sha256 !== undefined && await fileSha256(tmp) !== listed.sha256) {
    throw damaged("does not match the checksum its manifest lists");
  }
}

/** Hex SHA-256 of a file, read in chunks (a store can be large). */
async function fileSha256(path: string): Promise<string> {
  // Loaded here: node:crypto costs a process that loads it about 10 ms (see hash.ts).
  const { createHash } = await import("node:crypto");
  const hash = createHash("sha256");
  // The stream closes the file at its end.
  for await (const chunk of (await Deno.open(path, { read: true })).readable) hash.update(chunk);
  return hash.digest("hex");
}
