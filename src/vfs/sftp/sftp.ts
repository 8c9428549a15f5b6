/**
 * SFTP backend, over aft's own SSH client (`./ssh/`) and SFTP client (`./client.ts`).
 *
 * Target `sftp://user@host:port/base/dir`; options `pass`, `keyFile` or `key` (OpenSSH or PEM
 * private key), `keyPassphrase`, `hostKeySHA256` (`SHA256:...` as `ssh-keygen -l` prints it),
 * `idleTimeoutSeconds` (default 300: requests that wait this long with nothing at all from the
 * server fail the connection, which the next call opens anew).
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
 * Why not npm `ssh2`, which this backend used until the fifteenth sitting: loading it (and,
 * through it, Deno's Node layer: streams, `node:crypto`, `fs`, `net`) took a process about
 * 90 ms of CPU before its first connection (`aft run --timings`: "sftp backend loaded"), more
 * CPU than OpenSSH's whole `sftp` uses to connect, sign in and list a file on 127.0.0.1 (0.07
 * to 0.08 s). The SSH client here needs WebCrypto and, on Linux, the system's libcrypto for
 * AES; only encrypted private keys (and a few rarer forms) load ssh2's key parser
 * (`./ssh/keys.ts`).
 *
 * @module
 */

import { mark } from "../../timings.ts";
import {
  type Goodbye,
  HostKeyRefused,
  SshTransport,
  type TransportOptions,
} from "./ssh/transport.ts";
import { DISCONNECT_REASON } from "./ssh/messages.ts";
import { authenticate, authOrder } from "./ssh/auth.ts";
import { openSubsystem, type SessionChannel } from "./ssh/channel.ts";
import { KeyError, parsePrivateKey, type UserKey } from "./ssh/keys.ts";
import { isDirectory, isSymlink, OPEN, type SftpAttrs, SftpClient } from "./client.ts";
import { NegotiationError } from "./ssh/kex.ts";
import { keepFreedMemory } from "../heap.ts";
import { offerDrain, offerFill } from "../direct.ts";
import { fillWrites, type WriteRequests } from "./fill_writes.ts";
import { mapError } from "./_map_error.ts";
import { parseSftpTarget, type SftpOptions } from "./options.ts";
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

export { authOrder, parseSftpTarget, type SftpOptions };

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
 * server's window (2 MiB for OpenSSH) and the write-ahead (`./write_ahead.ts`) bound what is
 * actually on the way.
 */
const IN_FLIGHT_BYTES = 4 * 1024 * 1024;
/**
 * Bytes of reads asked for ahead per transfer (within the channel's incoming window). 8 MiB
 * made the first download on a connection 2 to 4 times slower against OpenSSH (loaded machine).
 */
const READ_AHEAD_BYTES = 4 * 1024 * 1024;
/**
 * What the server is told when aft ends a connection for a reason of its own (a time-out, a
 * failed sign-in, the SFTP session's end): "by application", in words that say nothing of this
 * side (an error's message may name a local file).
 */
const BYE: Goodbye = { reason: DISCONNECT_REASON.BY_APPLICATION, text: "closed by aft" };

/** A connection. */
interface Session {
  transport: SshTransport;
  channel: SessionChannel;
  sftp: SftpClient;
  /** The shortest round trip of an OPEN seen on this connection (ms). */
  rtt?: number;
  /** WRITE requests sent and not answered yet. */
  writesUnanswered: number;
}

/** The largest read or write request the server takes, within 16 to 256 KiB. */
function maxLen(sftp: SftpClient, which: "read" | "write"): number {
  const l = sftp.limits;
  const n = l ? (which === "read" ? l.maxRead : l.maxWrite) : 0;
  return Math.max(16 * 1024, Math.min(n > 0 ? n : 32 * 1024, 256 * 1024));
}

/**
 * The fastest link written bytes are kept in flight for (bytes per second), and the least kept
 * in the server's window whatever the round trip: a 256 MiB upload on 127.0.0.1 that kept
 * OpenSSH's whole 2 MiB window full took 3.1 to 3.8 s and 1.6 to 2.0 s of sshd's CPU (half of
 * it in memmove), against 2.3 to 2.7 s and 0.55 to 0.8 s with 0.5 to 1 MiB kept in it; 1 MiB
 * rather than 512 KiB: fourteen alternating uploads through `aft run` (2026-12-03), a median
 * 0.91 s against 0.99 s (measured through ssh2, with the same policy).
 */
const LINK_RATE = 512 * 1024 * 1024;
const MIN_WRITE_AHEAD = 1024 * 1024;

/**
 * Bytes of writes kept in the server's window for a connection whose shortest round trip seen
 * is `rttMs`: what a link of {@linkcode LINK_RATE} carries in that time, at least
 * {@linkcode MIN_WRITE_AHEAD}.
 */
export function writeAhead(rttMs: number | undefined): number {
  if (rttMs === undefined || !(rttMs > 0)) return MIN_WRITE_AHEAD;
  return Math.max(MIN_WRITE_AHEAD, Math.ceil(LINK_RATE * rttMs / 1000));
}

export class SftpVfs implements Vfs {
  readonly type = "sftp";
  readonly features = FEATURES;
  /** The host key fingerprint seen at the last connection. */
  hostKeySHA256Seen?: string;
  /** The cipher agreed with the server at the last connection (client to server). */
  cipher?: string;
  /** The transport of the current connection (tests start key exchanges with it). */
  get transport(): Promise<SshTransport> {
    return this.#session().then((s) => s.transport);
  }
  readonly #opts: SftpOptions;
  #conn?: Promise<Session>;
  #closed = false;
  /** The server's limit on open handles, as its last session announced it. */
  #openLimit: number | undefined;
  /** The private key, parsed once. */
  #key?: Promise<UserKey | undefined>;

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
    if (!this.#conn) {
      const p = this.#open();
      this.#conn = p;
      p.catch(() => {
        if (this.#conn === p) this.#conn = undefined;
      });
    }
    return this.#conn;
  }

  #userKey(): Promise<UserKey | undefined> {
    const o = this.#opts;
    this.#key ??= o.privateKey === undefined
      ? Promise.resolve(undefined)
      : parsePrivateKey(o.privateKey, o.passphrase);
    return this.#key;
  }

  async #open(): Promise<Session> {
    const o = this.#opts;
    // The connection's steps, for `aft run --timings` (a no-op without it).
    const step = (what: string) => mark(`SFTP ${o.host}:${o.port} ${what}`);
    let key: UserKey | undefined;
    try {
      key = await this.#userKey();
    } catch (err) {
      this.#key = undefined;
      const why = err instanceof KeyError ? err.message : String(err);
      throw new VfsError("AUTH_FAILED", `Cannot use the private key: ${why}`, { cause: err });
    }
    let mismatch: string | undefined;
    const topts: TransportOptions = {
      host: o.host,
      port: o.port,
      ciphers: o.ciphers,
      macs: o.macs,
      kex: o.kex,
      hostKeyAlgorithms: o.hostKeyAlgorithms,
      cipherBackend: o.cipherBackend,
      readyTimeoutMs: o.readyTimeoutMs ?? 20_000,
      onStep: step,
      debug: Deno.env.get("AFT_SSH_DEBUG")
        ? (m) => console.error(performance.now().toFixed(1), m)
        : undefined,
      acceptHostKey: (fp) => {
        this.hostKeySHA256Seen = fp;
        if (o.hostKeySHA256 && o.hostKeySHA256.replace(/=+$/, "") !== fp) {
          mismatch = fp;
          return false;
        }
        return true;
      },
    };
    let transport: SshTransport;
    try {
      transport = await SshTransport.connect(topts);
    } catch (err) {
      if (err instanceof HostKeyRefused || mismatch) {
        throw new VfsError(
          "HOST_KEY_MISMATCH",
          `The host key of ${o.host}:${o.port} is ${mismatch}, not the expected ${o.hostKeySHA256}: refusing to connect`,
          { cause: err },
        );
      }
      if (err instanceof NegotiationError) {
        throw new VfsError("CONNECTION", `SFTP to ${o.host}:${o.port}: ${err.message}`, {
          cause: err,
          retryable: false,
        });
      }
      throw mapError(err);
    }
    this.cipher = transport.cipher;
    // Every chunk read is new memory: the allocator keeps what is freed while connections are
    // open, and gives it back a while after the last one has closed (../heap.ts).
    const kept = keepFreedMemory();
    void transport.ended.then(() => kept.done());
    // The rest of the handshake has the same time limit as the connection and key exchange.
    const readyMs = o.readyTimeoutMs ?? 20_000;
    const deadline = setTimeout(
      () => transport.close(new Error(`Timed out while signing in (${readyMs} ms)`), BYE),
      readyMs,
    );
    try {
      await authenticate(transport, { user: o.user, key, password: o.password });
      step("signed in");
      const channel = await openSubsystem(transport, "sftp");
      const sftp = await SftpClient.start(channel, {
        timeoutMs: readyMs,
        stallMs: o.idleTimeoutMs,
        // The calls in flight when the connection ends fail with one error that says so, and why.
        closedError: (err) =>
          new VfsError(
            "CONNECTION",
            `The SFTP connection to ${o.host}:${o.port} was lost: ${err?.message ?? "closed"}`,
            { cause: err },
          ),
      });
      step("SFTP session open");
      const max = sftp.limits?.maxOpenHandles;
      this.#openLimit = max !== undefined && max > 0 ? max : undefined;
      const session: Session = { transport, channel, sftp, writesUnanswered: 0 };
      // While WRITEs are unanswered, the server's window holds no more than the link needs
      // (see writeAhead; the round trip comes from the opens for writing).
      channel.writeAhead = (unacked) =>
        session.writesUnanswered === 0 || unacked < writeAhead(session.rtt);
      const lost = (why: Error) => {
        if (this.#conn && !this.#closed) this.#conn = undefined; // the next call reconnects
        transport.close(why, BYE);
      };
      void transport.ended.then(lost);
      void sftp.ended.then(lost);
      return session;
    } catch (err) {
      transport.close(err instanceof Error ? err : new Error(String(err)), BYE);
      // A time-out closed the connection under the step that was waiting: say so.
      throw mapError(transport.closedBecause ?? err);
    } finally {
      clearTimeout(deadline);
    }
  }

  #r(path: string): string {
    const p = normalizePath(path);
    return p === "/" ? this.#opts.base : joinPath(this.#opts.base, p);
  }

  /** Waits for one SFTP request; errors become VfsErrors naming `path`. */
  async #io<T>(path: string, request: Promise<T>): Promise<T> {
    try {
      return await request;
    } catch (err) {
      throw mapError(err, normalizePath(path));
    }
  }

  /** Runs one SFTP call on the session; errors become VfsErrors naming `path`. */
  async #call<T>(path: string, fn: (sftp: SftpClient) => Promise<T>): Promise<T> {
    const { sftp } = await this.#session();
    return await this.#io(path, fn(sftp));
  }

  #info(path: string, st: SftpAttrs): FileInfo {
    const p = normalizePath(path);
    const dir = isDirectory(st);
    return {
      name: basename(p),
      path: p,
      size: dir ? 0 : st.size ?? 0,
      modTime: new Date((st.mtime ?? 0) * 1000),
      isDir: dir,
      mode: (st.mode ?? 0) & 0o7777,
      isSymlink: isSymlink(st) || undefined,
    };
  }

  async stat(path: string): Promise<FileInfo> {
    const r = this.#r(path);
    return this.#info(path, await this.#call(path, (s) => s.stat(r)));
  }

  async lstat(path: string): Promise<FileInfo> {
    const r = this.#r(path);
    return this.#info(path, await this.#call(path, (s) => s.lstat(r)));
  }

  async list(path: string): Promise<FileInfo[]> {
    const st = await this.stat(path);
    if (!st.isDir) throw new VfsError("NOT_DIR", `Not a folder: "${st.path}"`, { path: st.path });
    const r = this.#r(path);
    const entries = await this.#call(path, (s) => s.list(r));
    const out: FileInfo[] = [];
    for (const e of entries) {
      if (e.filename === "." || e.filename === "..") continue;
      const p = joinPath(path, e.filename);
      let attrs = e.attrs;
      if (isSymlink(attrs)) {
        attrs = await this.#call(p, (s) => s.stat(this.#r(p))).catch(() => attrs);
      }
      out.push(this.#info(p, attrs));
    }
    return out;
  }

  async openRead(path: string, opts: ReadOptions = {}): Promise<ReadableStream<Uint8Array>> {
    const st = await this.stat(path);
    if (st.isDir) throw new VfsError("IS_DIR", `Is a folder: "${st.path}"`, { path: st.path });
    const { sftp } = await this.#session();
    const r = this.#r(path);
    const handle = await this.#call(path, (s) => s.open(r, OPEN.READ));
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

    /** One READ's pieces (fewer bytes at the end of the file, none past it). */
    const readAt = async (pos: number, len: number): Promise<Uint8Array[]> => {
      const parts: Uint8Array[] = [];
      let got = 0;
      while (got < len) {
        const data = await this.#io(vpath, sftp.read(handle, pos + got, len - got));
        if (data === null) break;
        let n = 0;
        for (const d of data) n += d.length;
        if (n > len - got) {
          throw new VfsError(
            "IO",
            `The server answered a read of ${len - got} bytes of "${vpath}" with ${n}`,
            { path: vpath },
          );
        }
        if (n === 0) break;
        for (const d of data) if (d.length > 0) parts.push(d);
        got += n; // a short read before the end: ask for the rest
      }
      return parts;
    };
    const closeHandle = () => {
      if (done) return;
      done = true;
      sftp.close(handle).catch(() => {});
    };
    // READs are asked for a quarter of the read-ahead at a time: the requests of one turn
    // leave in one SSH packet (./client.ts). One at a time, each cost a socket write and a
    // packet for both ends to seal and open: 1,061 writes in a 256 MiB download (strace). Ten
    // alternating rounds of that download through `aft run` (2026-12-03, through ssh2): median
    // copy 0.75 s asked for four at a time, 0.78 s one at a time.
    const batch = Math.max(1, depth >> 2);
    const fill = () => {
      if (inflight.length > depth - batch || next >= sizeHint) return;
      while (inflight.length < depth && next < sizeHint) {
        const len = Math.min(chunk, sizeHint - next);
        const p = readAt(next, len);
        p.catch(() => {}); // handled when its turn comes
        inflight.push(p);
        next += len;
      }
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
    const session = await this.#session();
    const { sftp } = session;
    const handle = await this.#openForWrite(path, opts.append ? "a" : "w");
    const chunk = maxLen(sftp, "write");
    const depth = Math.max(4, Math.floor(IN_FLIGHT_BYTES / chunk));
    let pos = opts.append ? (existing?.size ?? 0) : 0;
    const inflight = new Set<Promise<void>>();
    let failure: VfsError | undefined;
    let closed = false;
    const closeHandle = async () => {
      if (closed) return;
      closed = true;
      await this.#io(vpath, sftp.close(handle));
    };
    // The WRITE requests: `ready` waits until fewer than `depth` are unanswered, then `send`
    // puts one on the way (its promise never rejects: a failure sets `failure`).
    const requests: WriteRequests = {
      ready: async () => {
        while (inflight.size >= depth) await Promise.race(inflight);
        if (failure) throw failure;
      },
      send: (part, onSent) => {
        const p = this.#write(session, handle, pos, part, onSent, vpath)
          .catch((e) => void (failure ??= mapError(e, vpath)))
          .finally(() => inflight.delete(p));
        inflight.add(p);
        pos += part.length;
        return p;
      },
    };
    const finish = async () => {
      if (failure) {
        await Promise.allSettled(inflight);
        await closeHandle().catch(() => {});
        throw failure;
      }
      // fstat and close go out right behind the last writes, unawaited: the server answers in
      // order, so closing costs one round trip, and the size check needs none of its own.
      const stored = this.#io(vpath, sftp.fstat(handle));
      const closing = closeHandle();
      await Promise.all(inflight); // never rejects: a failed write sets `failure`
      const [st, cl] = await Promise.allSettled([stored, closing]);
      if (failure) throw failure;
      if (cl.status === "rejected") throw cl.reason;
      if (st.status === "rejected") throw st.reason;
      opts.onStored?.(st.value.size ?? 0);
    };
    const abandon = async () => {
      await Promise.allSettled(inflight);
      await closeHandle().catch(() => {});
    };
    const stream = new WritableStream<Uint8Array>({
      write: async (data) => {
        for (let off = 0; off < data.length; off += chunk) {
          await requests.ready();
          const part = data.subarray(off, Math.min(off + chunk, data.length));
          const { promise: sent, resolve: onSent } = Promise.withResolvers<void>();
          // The bytes leave when the server's window has room: the stream waits for that
          // (back-pressure), and a lost connection settles the write instead.
          await Promise.race([sent, requests.send(part, onSent)]);
        }
        if (failure) throw failure;
      },
      close: finish,
      abort: abandon,
    });
    // A byte stream (a disk file) is read straight into a few buffers of one request's size,
    // each read into again once its bytes have left (see `fillWrites`).
    return offerFill(stream, async (reader, onChunk, signal) => {
      try {
        await fillWrites(reader, chunk, requests, onChunk, signal);
      } catch (err) {
        await abandon();
        throw err;
      }
      await finish();
    });
  }

  /** One WRITE, counted for the write-ahead (see {@linkcode writeAhead}). */
  async #write(
    s: Session,
    handle: Uint8Array,
    at: number,
    data: Uint8Array,
    onSent: () => void,
    vpath: string,
  ): Promise<void> {
    s.writesUnanswered++;
    try {
      await this.#io(vpath, s.sftp.write(handle, at, data, onSent));
    } finally {
      if (--s.writesUnanswered === 0) s.channel.kick();
    }
  }

  /**
   * Writes a whole file from one buffer, without a stream; resolves with the size the server
   * reports for it. Its WRITE requests, an FSTAT and the CLOSE leave together right after the
   * OPEN has answered, none waiting for another's answer (the server answers in order), in as
   * few SSH packets as the server's packet size allows, with the other requests of the same turn
   * of the event loop: two round trips a file, without the stream machinery's work per file,
   * which is most of the client's work when files are small.
   */
  async writeWhole(path: string, data: Uint8Array): Promise<number> {
    const vpath = normalizePath(path);
    const session = await this.#session();
    const handle = await this.#openForWrite(path, "w");
    const chunk = maxLen(session.sftp, "write");
    const requests: Promise<unknown>[] = [];
    for (let at = 0; at < data.length; at += chunk) {
      const part = data.subarray(at, Math.min(at + chunk, data.length));
      requests.push(this.#write(session, handle, at, part, () => {}, vpath));
    }
    const stored = this.#io(vpath, session.sftp.fstat(handle));
    requests.push(stored, this.#io(vpath, session.sftp.close(handle)));
    const all = await Promise.allSettled(requests);
    const failed = all.find((r) => r.status === "rejected");
    if (failed) throw (failed as PromiseRejectedResult).reason;
    return (await stored).size ?? 0;
  }

  /** Opens a file for writing (`w` creates or truncates, `a` appends); IS_DIR for a folder. */
  async #openForWrite(path: string, flags: "w" | "a"): Promise<Uint8Array> {
    const r = this.#r(path);
    const pflags = OPEN.WRITE | OPEN.CREAT | (flags === "a" ? OPEN.APPEND : OPEN.TRUNC);
    try {
      const session = await this.#session();
      // Its round trip tells how far away the server is (see writeAhead).
      const t0 = performance.now();
      const handle = await this.#io(path, session.sftp.open(r, pflags));
      const rtt = performance.now() - t0;
      if (session.rtt === undefined || rtt < session.rtt) session.rtt = rtt;
      return handle;
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
      await this.#call(p, (s) => s.mkdir(r));
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
      await this.#call(p, (s) => s.remove(r));
      return;
    }
    const children = await this.list(p);
    if (children.length > 0) {
      if (!opts.recursive) {
        throw new VfsError("NOT_EMPTY", `Folder is not empty: "${p}"`, { path: p });
      }
      for (const c of children) await this.remove(c.path, { recursive: true });
    }
    await this.#call(p, (s) => s.rmdir(r));
  }

  async rename(from: string, to: string): Promise<void> {
    const a = this.#r(from);
    const b = this.#r(to);
    const { sftp } = await this.#session();
    if (sftp.extensions.has("posix-rename@openssh.com")) {
      await this.#call(from, (s) => s.posixRename(a, b));
      return;
    }
    const target = await this.lstat(to).catch(() => undefined);
    if (target && !target.isDir) await this.remove(to);
    await this.#call(from, (s) => s.rename(a, b));
  }

  async setTimes(path: string, atime: Date, mtime: Date): Promise<void> {
    const r = this.#r(path);
    const secs = (d: Date) => Math.floor(d.getTime() / 1000);
    await this.#call(path, (s) => s.setstat(r, { atime: secs(atime), mtime: secs(mtime) }));
  }

  async chmod(path: string, mode: number): Promise<void> {
    const r = this.#r(path);
    await this.#call(path, (s) => s.setstat(r, { mode }));
  }

  async truncate(path: string, size: number): Promise<void> {
    const r = this.#r(path);
    await this.stat(path);
    await this.#call(path, (s) => s.setstat(r, { size }));
  }

  async close(): Promise<void> {
    this.#closed = true;
    const conn = this.#conn;
    this.#conn = undefined;
    if (!conn) return;
    try {
      const { transport } = await conn;
      await transport.end();
    } catch { /* never connected */ }
  }
}

/**
 * The registry's factory: reads the key file, then connects. `...Secret` options were resolved
 * by the registry (`openVfs`) before this is called: `keyFileSecret` arrives as `keyFile`.
 */
export async function openSftp(def: VfsDefinition, ctx: VfsContext): Promise<Vfs> {
  const opts = parseSftpTarget(def);
  const keyFile = def.options.keyFile;
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
