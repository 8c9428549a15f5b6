/**
 * FTP and FTPS backend over npm `basic-ftp`.
 *
 * Targets `ftp://user@host:21/base/dir` and `ftps://user@host:21/base/dir`; options `pass`,
 * `tls` (`explicit`, the default for ftps://, or `implicit`), `tlsInsecure` ("true": accept any
 * certificate), `caFile` (PEM of a CA to trust besides the system's).
 *
 * FTP runs one command at a time per connection, so metadata calls share one serialized
 * control connection and every transfer takes a connection of its own from a small pool;
 * a copy between two folders of the same server therefore cannot deadlock, and several
 * files move at once. Only standard commands the common servers have are used (SIZE, MDTM,
 * LIST, REST, APPE, SITE CHMOD), not MLSD or MFMT, which vsftpd lacks.
 *
 * @module
 */

import { Buffer } from "node:buffer";
import { PassThrough, Readable } from "node:stream";
import { Client, type FileInfo as FtpFileInfo } from "basic-ftp";
import { mkdirEach, mkdirFailure } from "../mkdir.ts";
import { basename, dirname, joinPath, normalizePath } from "../path.ts";
import { readCaFile, withCertificateReason } from "../tls_reason.ts";
import {
  type FileInfo,
  type ReadOptions,
  rootMissing,
  type Vfs,
  type VfsContext,
  type VfsDefinition,
  VfsError,
  type VfsFeatures,
  type WriteOptions,
} from "../types.ts";

const FEATURES: VfsFeatures = {
  setTimes: false,
  chmod: true,
  truncate: false,
  serverSideCopy: false,
  realDirs: true,
  symlinks: false,
  hashes: [],
  rangedRead: true,
  append: true,
};

const MAX_IDLE = 4;
const TIMEOUT_MS = 30_000;

export interface FtpOptions {
  host: string;
  port: number;
  user: string;
  pass: string;
  base: string;
  secure: false | true | "implicit";
  tlsInsecure: boolean;
  ca?: string;
}

/** Parses a target URL and options. */
export function parseFtpTarget(def: VfsDefinition): FtpOptions {
  let url: URL;
  try {
    url = new URL(def.target);
  } catch {
    throw new VfsError("INVALID_PATH", `Not an ftp:// or ftps:// URL: "${def.target}"`);
  }
  if (url.protocol !== "ftp:" && url.protocol !== "ftps:") {
    throw new VfsError("INVALID_PATH", `Not an ftp:// or ftps:// URL: "${def.target}"`);
  }
  const o = def.options;
  const tls = o.tls ?? (url.protocol === "ftps:" ? "explicit" : "none");
  if (!["none", "explicit", "implicit"].includes(tls)) {
    throw new VfsError("INVALID_PATH", `Option tls takes explicit or implicit, not "${tls}"`);
  }
  return {
    host: url.hostname.replace(/^\[|\]$/g, ""),
    port: url.port ? Number(url.port) : tls === "implicit" ? 990 : 21,
    user: decodeURIComponent(url.username) || o.user || "anonymous",
    pass: o.pass ?? (url.password ? decodeURIComponent(url.password) : ""),
    base: normalizePath(decodeURIComponent(url.pathname) || "/"),
    secure: tls === "implicit" ? "implicit" : tls === "explicit",
    tlsInsecure: o.tlsInsecure === "true",
  };
}

function mapError(err: unknown, path?: string): VfsError {
  if (err instanceof VfsError) return err;
  const e = err as { code?: number | string; message?: string };
  const msg = (e.message ?? String(err)).trim();
  const where = path ? `: "${path}"` : "";
  if (typeof e.code === "number") {
    if (e.code === 530) {
      return new VfsError("AUTH_FAILED", `The FTP server refused the login: ${msg}`, {
        cause: err,
      });
    }
    if (e.code === 550 || e.code === 553) {
      if (/permission/i.test(msg)) {
        return new VfsError("PERMISSION_DENIED", `Permission denied${where}`, { cause: err, path });
      }
      return new VfsError("NOT_FOUND", `No such file or folder${where} (${msg})`, {
        cause: err,
        path,
      });
    }
    if (e.code === 421 || e.code === 425 || e.code === 426) {
      return new VfsError("CONNECTION", `FTP connection failed${where}: ${msg}`, {
        cause: err,
        path,
      });
    }
    return new VfsError("IO", `FTP error${where}: ${e.code} ${msg}`, { cause: err, path });
  }
  const code = String(e.code ?? "");
  if (/CERT|SELF_SIGNED|UNABLE_TO_VERIFY|ALTNAME|TLS|SSL/i.test(code + msg)) {
    return new VfsError("CONNECTION", `TLS failed with the FTP server: ${msg}`, {
      cause: err,
      retryable: false,
    });
  }
  if (code === "ENOTFOUND" || code === "EAI_AGAIN") {
    return new VfsError("CONNECTION", `Host name not found: ${msg}`, {
      cause: err,
      retryable: false,
    });
  }
  if (/timeout/i.test(msg)) return new VfsError("TIMEOUT", `FTP: ${msg}`, { cause: err, path });
  return new VfsError("CONNECTION", `FTP connection failed${where}: ${msg}`, { cause: err, path });
}

const MONTHS = ["jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec"];

/** The time of a Unix LIST line (`Nov 23 04:18` this year, or `Nov 23  2025`), in UTC. */
function listTime(raw: string | undefined, now = new Date()): Date {
  const m = /^(\w{3})\s+(\d{1,2})\s+(?:(\d{1,2}):(\d{2})|(\d{4}))$/.exec((raw ?? "").trim());
  if (!m) return new Date(0);
  const month = MONTHS.indexOf(m[1]!.toLowerCase());
  if (month < 0) return new Date(0);
  if (m[5]) return new Date(Date.UTC(Number(m[5]), month, Number(m[2])));
  let d = new Date(Date.UTC(now.getUTCFullYear(), month, Number(m[2]), Number(m[3]), Number(m[4])));
  if (d.getTime() > now.getTime() + 86400_000) {
    d = new Date(
      Date.UTC(now.getUTCFullYear() - 1, month, Number(m[2]), Number(m[3]), Number(m[4])),
    );
  }
  return d;
}

/** Permission bits of a file from `STAT path` (a LIST line on the control connection). */
async function statMode(c: Client, r: string): Promise<number> {
  try {
    const res = await c.send("STAT " + r);
    const line = res.message.split(/\r?\n/).find((l) => /^[-l][rwxsStT-]{9}/.test(l.trim()));
    return line ? parseMode(line.trim().slice(1, 10)) : 0;
  } catch {
    return 0; // STAT is optional in FTP
  }
}

function parseMode(rwx: string): number {
  let mode = 0;
  for (let i = 0; i < 9; i++) {
    const ch = rwx[i]!;
    if (ch !== "-" && ch !== "S" && ch !== "T") mode |= 1 << (8 - i);
  }
  return mode;
}

export class FtpVfs implements Vfs {
  readonly type: string;
  readonly features = FEATURES;
  readonly #o: FtpOptions;
  #meta?: Promise<Client>;
  #queue: Promise<unknown> = Promise.resolve();
  #idle: Client[] = [];
  #closed = false;

  private constructor(o: FtpOptions) {
    this.#o = o;
    this.type = o.secure ? "ftps" : "ftp";
  }

  static async connect(o: FtpOptions): Promise<FtpVfs> {
    const vfs = new FtpVfs(o);
    try {
      const st = await vfs.stat("/");
      if (!st.isDir) throw new VfsError("NOT_DIR", `"${o.base}" is not a folder on the server`);
    } catch (err) {
      await vfs.close();
      throw rootMissing(err, o.base, `${o.host}:${o.port}`);
    }
    return vfs;
  }

  async #newClient(): Promise<Client> {
    if (this.#closed) throw new VfsError("CONNECTION", "The FTP VFS is closed");
    const c = new Client(TIMEOUT_MS);
    try {
      await c.access({
        host: this.#o.host,
        port: this.#o.port,
        user: this.#o.user,
        password: this.#o.pass,
        secure: this.#o.secure,
        secureOptions: {
          rejectUnauthorized: !this.#o.tlsInsecure,
          ...(this.#o.ca ? { ca: [this.#o.ca] } : {}),
          servername: /^[\d.:]+$/.test(this.#o.host) ? undefined : this.#o.host,
        },
      });
      await c.send("TYPE I");
    } catch (err) {
      c.close();
      const e = mapError(err);
      if (!this.#o.secure || this.#o.tlsInsecure) throw e;
      throw await withCertificateReason(e, {
        host: this.#o.host,
        port: this.#o.port,
        ca: this.#o.ca,
        upgrade: this.#o.secure === "implicit" ? undefined : async (conn) => {
          await readFtpReply(conn);
          await conn.write(new TextEncoder().encode("AUTH TLS\r\n"));
          await readFtpReply(conn);
        },
      }, "FTP server");
    }
    return c;
  }

  /** Runs `fn` on the shared control connection, one call at a time. */
  #withMeta<T>(fn: (c: Client) => Promise<T>, path?: string): Promise<T> {
    const run = async () => {
      this.#meta ??= this.#newClient();
      let c: Client;
      try {
        c = await this.#meta;
      } catch (err) {
        this.#meta = undefined;
        throw err;
      }
      if (c.closed) {
        this.#meta = this.#newClient();
        c = await this.#meta;
      }
      try {
        return await fn(c);
      } catch (err) {
        if (c.closed) this.#meta = undefined;
        throw mapError(err, path);
      }
    };
    const p = this.#queue.then(run, run);
    this.#queue = p.catch(() => {});
    return p;
  }

  async #transferClient(): Promise<Client> {
    while (this.#idle.length > 0) {
      const c = this.#idle.pop()!;
      if (!c.closed) return c;
    }
    return await this.#newClient();
  }

  #release(c: Client, reusable: boolean): void {
    if (reusable && !c.closed && !this.#closed && this.#idle.length < MAX_IDLE) this.#idle.push(c);
    else c.close();
  }

  #r(path: string): string {
    const p = normalizePath(path);
    return p === "/" ? this.#o.base : joinPath(this.#o.base, p);
  }

  async #isDir(c: Client, r: string): Promise<boolean> {
    try {
      await c.cd(r);
      return true;
    } catch (err) {
      if ((err as { code?: number }).code === 550) return false;
      throw err;
    }
  }

  async stat(path: string): Promise<FileInfo> {
    const p = normalizePath(path);
    const r = this.#r(p);
    return await this.#withMeta(async (c) => {
      try {
        const size = await c.size(r);
        let modTime = new Date(0);
        try {
          modTime = await c.lastMod(r);
        } catch { /* no MDTM: unknown */ }
        return {
          name: basename(p),
          path: p,
          size,
          modTime,
          isDir: false,
          mode: await statMode(c, r),
        };
      } catch (err) {
        if ((err as { code?: number }).code !== 550) throw err;
      }
      if (await this.#isDir(c, r)) {
        return { name: basename(p), path: p, size: 0, modTime: new Date(0), isDir: true, mode: 0 };
      }
      throw new VfsError("NOT_FOUND", `No such file or folder: "${p}"`, { path: p });
    }, p);
  }

  lstat(path: string): Promise<FileInfo> {
    return this.stat(path);
  }

  async list(path: string): Promise<FileInfo[]> {
    const p = normalizePath(path);
    const r = this.#r(p);
    return await this.#withMeta(async (c) => {
      if (!(await this.#isDir(c, r))) {
        try {
          await c.size(r);
        } catch {
          throw new VfsError("NOT_FOUND", `No such folder: "${p}"`, { path: p });
        }
        throw new VfsError("NOT_DIR", `Not a folder: "${p}"`, { path: p });
      }
      // LIST of the current folder: a path argument starting with "-" would read as options.
      const entries: FtpFileInfo[] = await c.list();
      return entries.filter((e) => e.name !== "." && e.name !== "..").map((e) => ({
        name: e.name,
        path: joinPath(p, e.name),
        size: e.isDirectory ? 0 : e.size,
        modTime: e.modifiedAt ?? listTime(e.rawModifiedAt),
        isDir: e.isDirectory,
        mode: 0,
      }));
    }, p);
  }

  async openRead(path: string, opts: ReadOptions = {}): Promise<ReadableStream<Uint8Array>> {
    const st = await this.stat(path);
    if (st.isDir) throw new VfsError("IS_DIR", `Is a folder: "${st.path}"`, { path: st.path });
    const c = await this.#transferClient();
    const pt = new PassThrough({ highWaterMark: 1024 * 1024 });
    let left = opts.length ?? Infinity;
    let finished = false;
    // The end of the data connection is not the end of the file: a server that dies mid-file
    // closes it too. Only the server's "226 transfer complete" on the control connection
    // (basic-ftp's download settling) says the file is whole, so the stream ends on that.
    const outcome: Promise<VfsError | undefined> = c.downloadTo(
      pt,
      this.#r(path),
      opts.offset ?? 0,
    ).then(
      () => {
        finished = true;
        this.#release(c, true);
        return undefined;
      },
      (err) => {
        finished = true;
        this.#release(c, false);
        const e = mapError(err, st.path);
        pt.destroy(e);
        return e;
      },
    );
    const reader = (Readable.toWeb(pt) as ReadableStream<Uint8Array>).getReader();
    return new ReadableStream<Uint8Array>({
      async pull(ctl) {
        try {
          if (left <= 0) {
            ctl.close();
            await reader.cancel().catch(() => {});
            if (!finished) c.close(); // stop the rest of the download
            return;
          }
          const { done, value } = await reader.read();
          if (done) {
            const failed = await outcome;
            if (failed) throw failed;
            return ctl.close();
          }
          const chunk = value.length > left ? value.subarray(0, left) : value;
          left -= chunk.length;
          ctl.enqueue(chunk);
        } catch (err) {
          ctl.error(mapError(err, st.path));
        }
      },
      async cancel() {
        await reader.cancel().catch(() => {});
        if (!finished) c.close();
      },
    }, { highWaterMark: 1 });
  }

  async openWrite(path: string, opts: WriteOptions = {}): Promise<WritableStream<Uint8Array>> {
    const p = normalizePath(path);
    const parent = await this.stat(dirname(p)).catch((err) => {
      if (err instanceof VfsError && err.code === "NOT_FOUND") {
        throw new VfsError("NOT_FOUND", `Parent folder of "${p}" does not exist`, { path: p });
      }
      throw err;
    });
    if (!parent.isDir) throw new VfsError("NOT_DIR", `Not a folder: "${parent.path}"`, { path: p });
    const existing = await this.stat(p).catch(() => undefined);
    if (existing?.isDir) throw new VfsError("IS_DIR", `Is a folder: "${p}"`, { path: p });
    const c = await this.#transferClient();
    const pt = new PassThrough({ highWaterMark: 1024 * 1024 });
    const r = this.#r(p);
    let failure: VfsError | undefined;
    const upload = (opts.append ? c.appendFrom(pt, r) : c.uploadFrom(pt, r)).then(
      () => {},
      (err) => {
        failure = mapError(err, p);
      },
    );
    return new WritableStream<Uint8Array>({
      async write(chunk) {
        if (failure) throw failure;
        if (!pt.write(Buffer.from(chunk.buffer, chunk.byteOffset, chunk.byteLength))) {
          await new Promise<void>((resolve) => {
            const done = () => {
              pt.off("drain", done);
              pt.off("close", done);
              resolve();
            };
            pt.on("drain", done);
            pt.on("close", done);
          });
        }
        if (failure) throw failure;
      },
      close: async () => {
        pt.end();
        await upload;
        this.#release(c, !failure);
        if (failure) throw failure;
      },
      abort: async () => {
        pt.destroy();
        c.close();
        await upload;
      },
    });
  }

  async mkdir(path: string, opts: { recursive?: boolean } = {}): Promise<void> {
    const p = normalizePath(path);
    if (opts.recursive) {
      await mkdirEach(p, (q) => this.stat(q), (q) => this.#mkdirOne(q));
      return;
    }
    await this.#mkdirOne(p);
  }

  async #mkdirOne(p: string): Promise<void> {
    const r = this.#r(p);
    try {
      await this.#withMeta((c) => c.send("MKD " + r), p);
    } catch (err) {
      throw await mkdirFailure(p, err, (q) => this.stat(q));
    }
  }

  async remove(path: string, opts: { recursive?: boolean } = {}): Promise<void> {
    const p = normalizePath(path);
    if (p === "/") throw new VfsError("INVALID_PATH", "Cannot remove the root of a VFS");
    const st = await this.stat(p);
    const r = this.#r(p);
    if (!st.isDir) {
      await this.#withMeta((c) => c.send("DELE " + r), p);
      return;
    }
    const children = await this.list(p);
    if (children.length > 0) {
      if (!opts.recursive) {
        throw new VfsError("NOT_EMPTY", `Folder is not empty: "${p}"`, { path: p });
      }
      for (const ch of children) await this.remove(ch.path, { recursive: true });
    }
    await this.#withMeta(async (c) => {
      await c.cd("/");
      await c.send("RMD " + r);
    }, p);
  }

  async rename(from: string, to: string): Promise<void> {
    const a = normalizePath(from);
    await this.stat(a);
    const target = await this.stat(to).catch(() => undefined);
    if (target?.isDir) {
      throw new VfsError("IS_DIR", `Cannot replace the folder "${target.path}"`, { path: to });
    }
    await this.#withMeta((c) => c.rename(this.#r(a), this.#r(to)), a);
  }

  async chmod(path: string, mode: number): Promise<void> {
    const p = normalizePath(path);
    await this.stat(p);
    await this.#withMeta(
      (c) => c.send(`SITE CHMOD ${(mode & 0o7777).toString(8)} ${this.#r(p)}`),
      p,
    );
  }

  async close(): Promise<void> {
    this.#closed = true;
    for (const c of this.#idle) c.close();
    this.#idle = [];
    const meta = this.#meta;
    this.#meta = undefined;
    if (meta) {
      try {
        (await meta).close();
      } catch { /* never connected */ }
    }
  }
}

/** Reads one FTP reply (multi-line replies end with `NNN `), up to 8 KiB. */
async function readFtpReply(conn: Deno.Conn): Promise<string> {
  const buf = new Uint8Array(8192);
  let text = "";
  while (text.length < 8192) {
    const n = await conn.read(buf);
    if (n === null) break;
    text += new TextDecoder().decode(buf.subarray(0, n));
    const lines = text.split("\r\n");
    const last = lines.length >= 2 ? lines[lines.length - 2]! : "";
    if (/^\d{3} /.test(last)) break;
  }
  return text;
}

/** The registry's factory. */
export async function openFtp(def: VfsDefinition, _ctx: VfsContext): Promise<Vfs> {
  const o = parseFtpTarget(def);
  if (def.options.caFile) o.ca = await readCaFile(def.options.caFile);
  return await FtpVfs.connect(o);
}
