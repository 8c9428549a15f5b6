/**
 * SFTP backend over npm `ssh2`.
 *
 * Target `sftp://user@host:port/base/dir`; options `pass`, `keyFile` or `key` (OpenSSH or PEM
 * private key), `keyPassphrase`, `hostKeySHA256` (`SHA256:...` as `ssh-keygen -l` prints it).
 * Authentication tries the key, then the password, then keyboard-interactive answered with the
 * password. A host key that does not match `hostKeySHA256` is refused before any credential is
 * sent; without `hostKeySHA256`, the key seen is kept in `hostKeySHA256Seen` so the VFS Library
 * can record it (trust on first use).
 *
 * Transfers are pipelined: reads and writes keep many requests of the server's largest
 * packet size outstanding (OpenSSH announces its limits), which is what closes most of the gap
 * between a naive SFTP client and OpenSSH's own `sftp`. A dropped connection fails the calls in
 * flight with a retryable CONNECTION error and the next call reconnects.
 *
 * @module
 */

import { Buffer } from "node:buffer";
import { mark } from "../../timings.ts";
import { preferredSshCiphers } from "./ciphers.ts";
import ssh2, { type Client as SshClient, type SFTPWrapper, type Stats } from "./ssh2.ts";
import { mapError, STATUS } from "./_map_error.ts";
import { batchWrites, maxLen } from "./transport.ts";
import { poolPackets } from "./packet_pool.ts";
import { largePackets } from "./gcm_decipher.ts";
import { DenoSocket } from "./deno_socket.ts";
import { keepFreedMemory } from "../heap.ts";
import { offerDrain } from "../direct.ts";
import { dataPath, readParts, readsTogether, type RequestError } from "./data_path.ts";
import { writeWhole } from "./write_whole.ts";
import { soon } from "./together.ts";
import { connectionGuard, type Guard } from "./guard.ts";
import { authOrder, hostKeyFingerprint, parseSftpTarget, type SftpOptions } from "./options.ts";
import { mkdirEach, mkdirFailure } from "../mkdir.ts";
import { basename, joinPath, normalizePath } from "../path.ts";
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

export { authOrder, hostKeyFingerprint, parseSftpTarget, type SftpOptions };

const FEATURES: VfsFeatures = {
  setTimes: true,
  chmod: true,
  truncate: true,
  serverSideCopy: false,
  realDirs: true,
  symlinks: true,
  hashes: [],
  rangedRead: true,
  append: true,
  multiplexed: true,
};

/**
 * Bytes of writes in flight per transfer (as requests of the server's largest size); the
 * server's window (2 MiB for OpenSSH) bounds what is actually on the way.
 */
const IN_FLIGHT_BYTES = 4 * 1024 * 1024;
/**
 * Bytes of reads asked for ahead per transfer (within the data path's incoming window). 8 MiB
 * made the first download on a connection 2 to 4 times slower against OpenSSH (loaded machine).
 */
const READ_AHEAD_BYTES = 4 * 1024 * 1024;

/** A connection; every SFTP call goes through `guard` (see ./guard.ts). */
interface Session {
  client: SshClient;
  sftp: SFTPWrapper;
  guard: Guard;
}

export class SftpVfs implements Vfs {
  readonly type = "sftp";
  readonly features = FEATURES;
  /** The host key fingerprint seen at the last connection. */
  hostKeySHA256Seen?: string;
  /** The cipher agreed with the server at the last connection (client to server). */
  cipher?: string;
  readonly #opts: SftpOptions;
  #conn?: Promise<Session>;
  #closed = false;
  /** The server's limit on open handles, as its last session announced it. */
  #openLimit: number | undefined;

  private constructor(opts: SftpOptions) {
    this.#opts = opts;
  }

  openLimit(): number | undefined {
    return this.#openLimit;
  }

  /** Connects (so a bad host, key or password is reported now, not at first use). */
  static async connect(opts: SftpOptions): Promise<SftpVfs> {
    const vfs = new SftpVfs(opts);
    await vfs.#session();
    try {
      const st = await vfs.stat("/");
      if (!st.isDir) throw new VfsError("NOT_DIR", `"${opts.base}" is not a folder on the server`);
    } catch (err) {
      await vfs.close();
      throw rootMissing(err, opts.base, `${opts.host}:${opts.port}`);
    }
    return vfs;
  }

  #session(): Promise<Session> {
    if (this.#closed) return Promise.reject(new VfsError("CONNECTION", "The SFTP VFS is closed"));
    this.#conn ??= new Promise<Session>((resolve, reject) => {
      const client = new ssh2.Client();
      const o = this.#opts;
      let mismatch: string | undefined;
      let failed = false;
      const fail = (err: unknown) => {
        if (failed) return;
        failed = true;
        this.#conn = undefined;
        client.end();
        reject(
          mismatch
            ? new VfsError(
              "HOST_KEY_MISMATCH",
              `The host key of ${o.host}:${o.port} is ${mismatch}, not the expected ${o.hostKeySHA256}: refusing to connect`,
            )
            : mapError(err),
        );
      };
      // Not `once`: a connection that fails may report more than one error (a ready timeout,
      // then "Connection lost before handshake" as the socket closes), and an error with no
      // listener would be thrown out of the process. The first one says why.
      client.on("error", fail);
      // The connection's steps, for `aft run --timings` (a no-op without it).
      const step = (what: string) => mark(`SFTP ${o.host}:${o.port} ${what}`);
      client.once("connect", () => step("TCP connected"));
      client.once("ready", () => {
        step("signed in");
        client.sftp((err, sftp) => {
          if (err) return fail(err);
          step("SFTP session open");
          // ssh2 has asked for limits@openssh.com before the session is ready (Infinity: the
          // server said none; undefined: it has no such extension).
          const max = (sftp as unknown as { maxOpenHandles?: number }).maxOpenHandles;
          this.#openLimit = max !== undefined && Number.isFinite(max) && max > 0 ? max : undefined;
          client.removeListener("error", fail);
          // Reported through the calls in flight; the first error says why the connection ended
          // (a packet that failed its check, say).
          let why = "";
          client.on("error", (e: Error) => why ||= `: ${e.message}`);
          const { guard, lose } = connectionGuard();
          client.once("close", () => {
            if (this.#conn && !this.#closed) this.#conn = undefined; // next call reconnects
            lose(
              new VfsError(
                "CONNECTION",
                `The SFTP connection to ${o.host}:${o.port} was lost${why}`,
              ),
            );
            dataPath(sftp)?.clear();
          });
          resolve({ client, sftp, guard });
        });
      });
      client.once("handshake", (agreed: { cs: { cipher: string } }) => {
        this.cipher = agreed.cs.cipher;
        step(`keys agreed (${agreed.cs.cipher})`);
      });
      client.on("keyboard-interactive", (_n, _i, _l, prompts, finish) => {
        finish(prompts.map(() => o.password ?? ""));
      });
      try {
        this.#connect(client, o, (fp) => mismatch = fp);
        // Small requests must not wait for Nagle's algorithm and delayed ACKs (tens of ms
        // each on loopback): set on the socket before it connects.
        client.setNoDelay(true);
        // AES-GCM packets built in pooled buffers, handed back as the socket writes them.
        batchWrites(client, poolPackets(client));
        // AES-GCM packets in of up to 256 KiB, deciphered in place (see ./gcm_decipher.ts).
        largePackets(client);
      } catch (err) {
        this.#conn = undefined;
        reject(
          new VfsError(
            "AUTH_FAILED",
            `Cannot use the private key: ${
              (err as Error).message.replace(/^Cannot parse privateKey: /, "")
            }`,
            { cause: err },
          ),
        );
      }
    });
    return this.#conn;
  }

  #connect(client: SshClient, o: SftpOptions, onMismatch: (fp: string) => void): void {
    // Deno.connect, not node:net: larger reads, into memory of their own (./deno_socket.ts).
    const sock = new DenoSocket(o.host, o.port);
    // As every chunk read is new memory, the allocator keeps what is freed while connections
    // are open, and gives it back a while after the last one has closed (../heap.ts).
    const kept = keepFreedMemory();
    sock.once("close", () => kept.done());
    try {
      client.connect({
        sock,
        host: o.host,
        port: o.port,
        username: o.user,
        password: o.password,
        privateKey: o.privateKey,
        passphrase: o.passphrase,
        tryKeyboard: o.password !== undefined,
        // The documented order, without ssh2's opening "none" attempt (a round trip to learn
        // what the server takes; ssh2 would also try a password before a key).
        authHandler: authOrder(o),
        readyTimeout: o.readyTimeoutMs ?? 20_000,
        keepaliveInterval: 15_000,
        debug: Deno.env.get("AFT_SSH_DEBUG") ? (m: string) => console.error(m) : undefined,
        // AES-GCM through OpenSSL where it loads, else AES-CTR (see ./ciphers.ts); ssh2's own
        // ChaCha20-Poly1305 is the slowest of all under Deno.
        algorithms: {
          cipher: o.ciphers ?? preferredSshCiphers(),
          hmac: ["hmac-sha2-256-etm@openssh.com", "hmac-sha2-512-etm@openssh.com", "hmac-sha2-256"],
        },
        keepaliveCountMax: 4,
        hostVerifier: (key: Buffer) => {
          const fp = hostKeyFingerprint(key);
          this.hostKeySHA256Seen = fp;
          if (o.hostKeySHA256 && o.hostKeySHA256.replace(/=+$/, "") !== fp) {
            onMismatch(fp);
            return false;
          }
          return true;
        },
      });
    } catch (err) {
      sock.destroy(); // a key ssh2 cannot use: no connection is left open
      throw err;
    }
  }

  #r(path: string): string {
    const p = normalizePath(path);
    return p === "/" ? this.#opts.base : joinPath(this.#opts.base, p);
  }

  /** Runs one SFTP call; errors become VfsErrors naming `path`. */
  async #call<T>(
    path: string,
    fn: (sftp: SFTPWrapper, cb: (err: Error | null | undefined, v?: T) => void) => void,
  ): Promise<T> {
    const { sftp, guard } = await this.#session();
    // With the other calls of this turn of the event loop, in one SSH packet (./together.ts):
    // a call waits for the answers it needs, so none depends on a READ or WRITE sent meanwhile.
    return await guard<T>((resolve, reject) =>
      soon(
        sftp,
        () =>
          fn(sftp, (err, v) => err ? reject(mapError(err, normalizePath(path))) : resolve(v as T)),
        (err) => reject(mapError(err, path)),
      )
    );
  }

  #info(path: string, st: Stats): FileInfo {
    const p = normalizePath(path);
    return {
      name: basename(p),
      path: p,
      size: st.isDirectory() ? 0 : Number(st.size),
      modTime: new Date(st.mtime * 1000),
      isDir: st.isDirectory(),
      mode: st.mode & 0o7777,
      isSymlink: st.isSymbolicLink() || undefined,
    };
  }

  async stat(path: string): Promise<FileInfo> {
    const r = this.#r(path);
    return this.#info(path, await this.#call<Stats>(path, (s, cb) => s.stat(r, cb)));
  }

  async lstat(path: string): Promise<FileInfo> {
    const r = this.#r(path);
    return this.#info(path, await this.#call<Stats>(path, (s, cb) => s.lstat(r, cb)));
  }

  async list(path: string): Promise<FileInfo[]> {
    const st = await this.stat(path);
    if (!st.isDir) throw new VfsError("NOT_DIR", `Not a folder: "${st.path}"`, { path: st.path });
    const r = this.#r(path);
    const entries = await this.#call<{ filename: string; attrs: Stats }[]>(
      path,
      (s, cb) => s.readdir(r, cb as never),
    );
    const out: FileInfo[] = [];
    for (const e of entries) {
      if (e.filename === "." || e.filename === "..") continue;
      const p = joinPath(path, e.filename);
      let attrs = e.attrs;
      if (attrs.isSymbolicLink()) {
        attrs = await this.#call<Stats>(p, (s, cb) => s.stat(this.#r(p), cb)).catch(() => attrs);
      }
      out.push(this.#info(p, attrs));
    }
    return out;
  }

  async openRead(path: string, opts: ReadOptions = {}): Promise<ReadableStream<Uint8Array>> {
    const st = await this.stat(path);
    if (st.isDir) throw new VfsError("IS_DIR", `Is a folder: "${st.path}"`, { path: st.path });
    const { sftp, guard } = await this.#session();
    const r = this.#r(path);
    const handle = await this.#call<Buffer>(path, (s, cb) => s.open(r, "r", cb));
    const chunk = maxLen(sftp, "read");
    const depth = Math.max(4, Math.floor(READ_AHEAD_BYTES / chunk));
    const start = opts.offset ?? 0;
    const limit = opts.length === undefined ? Infinity : start + opts.length;
    let next = start;
    let sizeHint = Math.min(st.size, limit);
    let done = false;
    /** Reads asked for, in order; each gives its data as the pieces it arrived in. */
    const inflight: Promise<Uint8Array[]>[] = [];
    const vpath = normalizePath(path);

    const readAt = (pos: number, len: number) =>
      guard<Uint8Array[]>((resolve, reject) => {
        const parts: Uint8Array[] = [];
        let got = 0;
        const more = () => {
          readParts(sftp, handle, pos + got, len - got, (err, data) => {
            if (err) {
              if (err.code === STATUS.EOF) return resolve(parts);
              return reject(mapError(err, vpath));
            }
            let n = 0;
            for (const d of data ?? []) n += d.length;
            if (n > len - got) {
              return reject(
                new VfsError(
                  "IO",
                  `The server answered a read of ${len - got} bytes of "${vpath}" with ${n}`,
                  { path: vpath },
                ),
              );
            }
            if (n === 0) return resolve(parts);
            for (const d of data!) if (d.length > 0) parts.push(d);
            got += n;
            if (got < len) more(); // a short read before the end: ask for the rest
            else resolve(parts);
          });
        };
        more();
      });
    const closeHandle = () => {
      if (done) return;
      done = true;
      sftp.close(handle, () => {});
    };
    // READs are asked for a quarter of the read-ahead at a time, in one SSH packet. One at a
    // time, each cost a socket write and a packet for both ends to seal and open: 1,061 writes
    // in a 256 MiB download (strace). Ten alternating rounds of that download through `aft
    // run` (2026-12-03): median copy 0.75 s asked for four at a time, 0.78 s one at a time.
    const batch = Math.max(1, depth >> 2);
    const fill = () => {
      if (inflight.length > depth - batch || next >= sizeHint) return;
      readsTogether(sftp, () => {
        while (inflight.length < depth && next < sizeHint) {
          const len = Math.min(chunk, sizeHint - next);
          const p = readAt(next, len);
          p.catch(() => {}); // handled when its turn comes
          inflight.push(p);
          next += len;
        }
      });
    };
    /** The next answer's pieces; null at the end (the handle is closed then). */
    const nextParts = async (): Promise<Uint8Array[] | null> => {
      fill();
      if (inflight.length === 0) {
        // Past the size seen at open: the file may have grown; read on until EOF.
        if (next >= limit) return null;
        const more = await readAt(next, Math.min(chunk, limit - next));
        if (more.length === 0) return null;
        for (const part of more) next += part.length;
        sizeHint = Math.min(limit, next + chunk * depth);
        return more;
      }
      const parts = await inflight.shift()!;
      if (parts.length === 0) {
        // Nothing where the size seen at open said there was more: the file shrank. Stop.
        inflight.length = 0;
        return null;
      }
      return parts;
    };
    const stream = new ReadableStream<Uint8Array>({
      pull: async (c) => {
        try {
          const parts = await nextParts();
          if (!parts) {
            closeHandle();
            return c.close();
          }
          for (const part of parts) c.enqueue(part);
        } catch (err) {
          closeHandle();
          c.error(mapError(err, vpath));
        }
      },
      cancel: closeHandle,
      // No answer is pulled before a read asks (the READs ahead are asked for anyway): what
      // the stream had queued, a drain taking over would miss.
    }, { highWaterMark: 0 });
    // Straight to a sink that takes the pieces by a call (../direct.ts).
    const stopped = new AbortController();
    return offerDrain(stream, {
      run: async (put) => {
        const { signal } = stopped;
        for (;;) {
          signal.throwIfAborted();
          let parts: Uint8Array[] | null;
          // A cancel ends the wait for the next answer at once (a stalled server must not hold
          // it), through a gate per answer: one promise raced for the whole file would keep
          // every answer alive.
          const gate = Promise.withResolvers<never>();
          const open = () => gate.reject(signal.reason);
          signal.addEventListener("abort", open, { once: true });
          try {
            parts = await Promise.race([nextParts(), gate.promise]);
          } catch (err) {
            closeHandle();
            throw signal.aborted ? signal.reason : mapError(err, vpath);
          } finally {
            signal.removeEventListener("abort", open);
          }
          if (!parts) return closeHandle();
          for (const part of parts) {
            signal.throwIfAborted();
            const wait = put(part);
            if (wait) await wait;
          }
        }
      },
      cancel: (reason) => {
        closeHandle();
        stopped.abort(reason);
      },
    });
  }

  async openWrite(path: string, opts: WriteOptions = {}): Promise<WritableStream<Uint8Array>> {
    const vpath = normalizePath(path);
    // Only an append needs the current size; otherwise the open itself tells what is wrong
    // (one round trip per file matters for many small files).
    const existing = opts.append
      ? await this.stat(path).catch((e) => {
        if (e instanceof VfsError && e.code === "NOT_FOUND") return undefined;
        throw e;
      })
      : undefined;
    if (existing?.isDir) throw new VfsError("IS_DIR", `Is a folder: "${vpath}"`, { path: vpath });
    const { sftp, guard } = await this.#session();
    const handle = await this.#openForWrite(path, opts.append ? "a" : "w");
    const chunk = maxLen(sftp, "write");
    const depth = Math.max(4, Math.floor(IN_FLIGHT_BYTES / chunk));
    let pos = opts.append ? (existing?.size ?? 0) : 0;
    const inflight = new Set<Promise<void>>();
    let failure: VfsError | undefined;
    let closed = false;
    const closeHandle = () =>
      guard<void>((resolve, reject) => {
        if (closed) return resolve();
        closed = true;
        sftp.close(handle, (err) => err ? reject(mapError(err, vpath)) : resolve());
      });
    const fast = dataPath(sftp);
    /** One WRITE; `sent` once its bytes are copied out (the caller's chunk is free again). */
    const writeAt = (buf: Uint8Array, at: number, sent: () => void) =>
      guard<void>((resolve, reject) => {
        const cb = (err?: RequestError | null) => err ? reject(mapError(err, vpath)) : resolve();
        if (fast) return fast.write(handle, at, buf, sent, cb);
        sftp.write(
          handle,
          Buffer.from(buf.buffer, buf.byteOffset, buf.length),
          0,
          buf.length,
          at,
          cb,
        );
        sent(); // ssh2 copied the bytes into its packet
      });
    return new WritableStream<Uint8Array>({
      write: async (data) => {
        for (let off = 0; off < data.length; off += chunk) {
          if (failure) throw failure;
          while (inflight.size >= depth) await Promise.race(inflight);
          const part = data.subarray(off, Math.min(off + chunk, data.length));
          const { promise: sent, resolve: onSent } = Promise.withResolvers<void>();
          const p = writeAt(part, pos, onSent).catch((e) => void (failure ??= e)).finally(() =>
            inflight.delete(p)
          );
          inflight.add(p);
          pos += part.length;
          // The bytes leave when the server's window has room: the stream waits for that
          // (back-pressure), and a lost connection settles `p` instead.
          await Promise.race([sent, p]);
        }
        if (failure) throw failure;
      },
      close: async () => {
        if (failure) {
          await Promise.allSettled(inflight);
          await closeHandle().catch(() => {});
          throw failure;
        }
        // fstat and close go out right behind the last writes, unawaited: the server answers
        // in order, so closing costs one round trip, and the size check needs none of its own.
        const stored = guard<Stats>((resolve, reject) =>
          sftp.fstat(handle, (err, st) => err ? reject(mapError(err, vpath)) : resolve(st))
        );
        const closing = closeHandle();
        await Promise.all(inflight); // never rejects: a failed write sets `failure`
        const [st, cl] = await Promise.allSettled([stored, closing]);
        if (failure) throw failure;
        if (cl.status === "rejected") throw cl.reason;
        if (st.status === "rejected") throw st.reason;
        opts.onStored?.(Number(st.value.size));
      },
      abort: async () => {
        await Promise.allSettled(inflight);
        await closeHandle().catch(() => {});
      },
    });
  }

  /**
   * Writes a whole file from one buffer, without a stream (see ./write_whole.ts); resolves with
   * the size the server reports for it.
   */
  async writeWhole(path: string, data: Uint8Array): Promise<number> {
    const { sftp, guard } = await this.#session();
    const handle = await this.#openForWrite(path, "w");
    return await writeWhole(sftp, guard, handle, data, normalizePath(path));
  }

  /** Opens a file for writing (`w` creates or truncates, `a` appends); IS_DIR for a folder. */
  async #openForWrite(path: string, flags: "w" | "a"): Promise<Buffer> {
    const r = this.#r(path);
    try {
      // Its round trip tells the data path how far away the server is (see writeAhead).
      return await this.#call<Buffer>(path, (s, cb) => {
        const t0 = performance.now();
        s.open(r, flags, (err, handle) => {
          if (!err) dataPath(s)?.roundTrip(performance.now() - t0);
          cb(err, handle);
        });
      });
    } catch (err) {
      const st = await this.stat(path).catch(() => undefined);
      if (st?.isDir) throw new VfsError("IS_DIR", `Is a folder: "${st.path}"`, { path: st.path });
      throw err;
    }
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
      await this.#call<void>(p, (s, cb) => s.mkdir(r, cb));
    } catch (err) {
      throw await mkdirFailure(p, err, (q) => this.stat(q));
    }
  }

  async remove(path: string, opts: { recursive?: boolean } = {}): Promise<void> {
    const p = normalizePath(path);
    if (p === "/") throw new VfsError("INVALID_PATH", "Cannot remove the root of a VFS");
    const st = await this.lstat(p);
    const r = this.#r(p);
    if (!st.isDir || st.isSymlink) {
      await this.#call<void>(p, (s, cb) => s.unlink(r, cb));
      return;
    }
    const children = await this.list(p);
    if (children.length > 0) {
      if (!opts.recursive) {
        throw new VfsError("NOT_EMPTY", `Folder is not empty: "${p}"`, { path: p });
      }
      for (const c of children) await this.remove(c.path, { recursive: true });
    }
    await this.#call<void>(p, (s, cb) => s.rmdir(r, cb));
  }

  async rename(from: string, to: string): Promise<void> {
    const a = this.#r(from);
    const b = this.#r(to);
    const { sftp } = await this.#session();
    const ext = (sftp as unknown as { _extensions?: Record<string, string> })._extensions ?? {};
    if (ext["posix-rename@openssh.com"]) {
      await this.#call<void>(from, (s, cb) => s.ext_openssh_rename(a, b, cb));
      return;
    }
    const target = await this.lstat(to).catch(() => undefined);
    if (target && !target.isDir) await this.remove(to);
    await this.#call<void>(from, (s, cb) => s.rename(a, b, cb));
  }

  async setTimes(path: string, atime: Date, mtime: Date): Promise<void> {
    const r = this.#r(path);
    await this.#call<void>(
      path,
      (s, cb) => s.utimes(r, atime.getTime() / 1000, mtime.getTime() / 1000, cb),
    );
  }

  async chmod(path: string, mode: number): Promise<void> {
    const r = this.#r(path);
    await this.#call<void>(path, (s, cb) => s.chmod(r, mode, cb));
  }

  async truncate(path: string, size: number): Promise<void> {
    const r = this.#r(path);
    await this.stat(path);
    await this.#call<void>(path, (s, cb) => s.setstat(r, { size } as never, cb));
  }

  async close(): Promise<void> {
    this.#closed = true;
    const conn = this.#conn;
    this.#conn = undefined;
    if (!conn) return;
    try {
      const { client } = await conn;
      client.end();
    } catch { /* never connected */ }
  }
}

/** The registry's factory: reads key files and `...Secret` options, then connects. */
export async function openSftp(def: VfsDefinition, ctx: VfsContext): Promise<Vfs> {
  const secrets: Record<string, string> = {};
  for (const [k, v] of Object.entries(def.options)) {
    if (!k.endsWith("Secret")) continue;
    const value = await ctx.getSecret(v);
    if (value === undefined) {
      throw new VfsError("AUTH_FAILED", `The secret "${v}" named by option ${k} does not exist`);
    }
    secrets[k.slice(0, -"Secret".length)] = value;
  }
  const opts = parseSftpTarget(def, secrets);
  const keyFile = secrets.keyFile ?? def.options.keyFile;
  if (keyFile && !opts.privateKey) {
    try {
      opts.privateKey = await Deno.readTextFile(keyFile);
    } catch (err) {
      throw new VfsError(
        "AUTH_FAILED",
        `Cannot read the key file "${keyFile}": ${(err as Error).message}`,
      );
    }
  }
  const vfs = await SftpVfs.connect(opts);
  if (!opts.hostKeySHA256 && vfs.hostKeySHA256Seen && ctx.recordHostKey) {
    await ctx.recordHostKey(vfs.hostKeySHA256Seen);
  }
  return vfs;
}
