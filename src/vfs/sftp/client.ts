/**
 * An SFTP version 3 client (draft-ietf-secsh-filexfer-02, with OpenSSH's extensions from its
 * PROTOCOL document) over any {@linkcode ByteChannel}: in aft, an SSH session channel with the
 * "sftp" subsystem.
 *
 * It is written for load time and for throughput: it uses Web APIs only (no Node compatibility
 * layer, no npm package), and it copies no file data. A WRITE's data goes to the channel as a
 * part of its own, by reference; a READ's answer comes back as views of the chunks the channel
 * delivered, however many chunks it spans. Requests made in the same synchronous turn leave in
 * one channel write, so a caller that keeps many READs or WRITEs in flight pays for one write
 * per turn, not one per request.
 *
 * Any answer that breaks the protocol (a malformed packet, an id nobody asked for, an answer of
 * the wrong type) ends the client with {@linkcode SftpProtocolError}: after that nothing it
 * reads can be trusted to belong where it seems to. A server that sends nothing at all for
 * `stallMs` while requests wait ends it too: an sftp-server that hangs (on a dead network
 * mount, say) while sshd goes on answering keepalives held a transfer, and its job, for ever.
 *
 * @example
 * ```ts ignore
 * const sftp = await SftpClient.start(channel);
 * const h = await sftp.open("/tmp/x", OPEN.WRITE | OPEN.CREAT | OPEN.TRUNC);
 * await sftp.write(h, 0, new TextEncoder().encode("hello"));
 * await sftp.close(h);
 * ```
 *
 * @module
 */

import { SshReader, SshWriter, WireError } from "./ssh/wire.ts";
import { joinBytes } from "../../bytes.ts";
import { every, type Ticker } from "../../timers.ts";
import { IDLE_TIMEOUT_MS } from "../idle_timeout.ts";

/** A bidirectional byte stream the client runs over (an SSH channel, a pipe in tests). */
export interface ByteChannel {
  /** Sends `parts` in order, after everything written before. The channel does not modify the parts and keeps references to them until it has copied them out, then calls `onSent` once (so a caller may reuse its buffer after `onSent`). */
  write(parts: readonly Uint8Array[], onSent?: () => void): void;
  /** Set by the client: data received, in order; each chunk is the receiver's to keep (never written again by the channel). */
  onData?: (chunk: Uint8Array) => void;
  /** Set by the client: the channel has ended (closed, or the connection lost: `err` says why). Called at most once. */
  onClose?: (err?: Error) => void;
  /** Closes the channel. */
  close(): void;
}

/** File attributes as SFTP version 3 carries them; each field only when the server sent it. */
export interface SftpAttrs {
  /** Size in bytes. */
  size?: number;
  /** Owner's user id (sent only together with `gid`). */
  uid?: number;
  /** Owner's group id (sent only together with `uid`). */
  gid?: number;
  /** st_mode, including the file type bits. */
  mode?: number;
  /** Last access, in seconds since the epoch (sent only together with `mtime`). */
  atime?: number;
  /** Last modification, in seconds since the epoch (sent only together with `atime`). */
  mtime?: number;
}

/** The file type bits of st_mode, and the values for a folder and a symbolic link. */
const S_IFMT = 0o170000;
const S_IFDIR = 0o040000;
const S_IFLNK = 0o120000;

/** Whether `a` describes a folder (false when the server sent no mode). */
export function isDirectory(a: SftpAttrs): boolean {
  return a.mode !== undefined && (a.mode & S_IFMT) === S_IFDIR;
}

/** Whether `a` describes a symbolic link (false when the server sent no mode). */
export function isSymlink(a: SftpAttrs): boolean {
  return a.mode !== undefined && (a.mode & S_IFMT) === S_IFLNK;
}

/** The pflags of OPEN. */
export const OPEN = { READ: 1, WRITE: 2, APPEND: 4, CREAT: 8, TRUNC: 0x10, EXCL: 0x20 } as const;

/** The status codes of SFTP version 3. */
export const STATUS = {
  OK: 0,
  EOF: 1,
  NO_SUCH_FILE: 2,
  PERMISSION_DENIED: 3,
  FAILURE: 4,
  BAD_MESSAGE: 5,
  NO_CONNECTION: 6,
  CONNECTION_LOST: 7,
  OP_UNSUPPORTED: 8,
} as const;

/** What a status means, for servers that send an empty message. */
const STATUS_TEXT: Record<number, string> = {
  [STATUS.OK]: "Success",
  [STATUS.EOF]: "End of file",
  [STATUS.NO_SUCH_FILE]: "No such file",
  [STATUS.PERMISSION_DENIED]: "Permission denied",
  [STATUS.FAILURE]: "Failure",
  [STATUS.BAD_MESSAGE]: "Bad message",
  [STATUS.NO_CONNECTION]: "No connection",
  [STATUS.CONNECTION_LOST]: "Connection lost",
  [STATUS.OP_UNSUPPORTED]: "Operation unsupported",
};

/** The server answered a request with a status other than OK (or EOF where that means the end). */
export class SftpStatusError extends Error {
  override name = "SftpStatusError";
  /** The SFTP status code (see {@linkcode STATUS}). */
  readonly code: number;

  /** `message` is the server's text; when empty, a standard text for `code` is used. */
  constructor(code: number, message = "") {
    super(message || STATUS_TEXT[code] || `SFTP status ${code}`);
    this.code = code;
  }
}

/** The server broke the protocol: a malformed answer, an unexpected type, an oversized packet. */
export class SftpProtocolError extends Error {
  override name = "SftpProtocolError";
}

/** One entry of a folder listing. */
export interface DirEntry {
  /** The entry's name (not a path). */
  filename: string;
  /** An `ls -l` style line; its format is the server's own, for display only. */
  longname: string;
  /** The entry's attributes, as far as the server sent them. */
  attrs: SftpAttrs;
}

/** Packet types (draft-ietf-secsh-filexfer-02 section 3). */
const T = {
  INIT: 1,
  VERSION: 2,
  OPEN: 3,
  CLOSE: 4,
  READ: 5,
  WRITE: 6,
  LSTAT: 7,
  FSTAT: 8,
  SETSTAT: 9,
  FSETSTAT: 10,
  OPENDIR: 11,
  READDIR: 12,
  REMOVE: 13,
  MKDIR: 14,
  RMDIR: 15,
  REALPATH: 16,
  STAT: 17,
  RENAME: 18,
  READLINK: 19,
  SYMLINK: 20,
  STATUS: 101,
  HANDLE: 102,
  DATA: 103,
  NAME: 104,
  ATTRS: 105,
  EXTENDED: 200,
  EXTENDED_REPLY: 201,
} as const;

/** Attribute flags (section 5). */
const A = { SIZE: 1, UIDGID: 2, PERMISSIONS: 4, ACMODTIME: 8, EXTENDED: 0x8000_0000 } as const;

/** Larger packets are refused: OpenSSH's own limit is 256 KiB, so this is far past any server. */
const MAX_PACKET = 16 * 1024 * 1024;
/** uint32 length, byte type, uint32 id, uint32 data length: what precedes a DATA's bytes. */
const DATA_HEAD = 13;

const LIMITS_EXT = "limits@openssh.com";
const POSIX_RENAME_EXT = "posix-rename@openssh.com";
const FSYNC_EXT = "fsync@openssh.com";

/** What a request waits for, and how its answer settles it. */
interface Pending {
  /** The answer type that carries the result; STATUS when only a status is expected. */
  want: number;
  /** Whether a STATUS EOF means "no more" (null) rather than an error: READ and READDIR. */
  eofIsNull: boolean;
  /** For READ: the most data the answer may carry. */
  maxData: number;
  /** Turns the answer's fields (after the id) into the result; unused for STATUS and DATA. */
  parse?: (r: SshReader) => unknown;
  resolve(v: unknown): void;
  reject(e: Error): void;
}

/** An SFTP session over one channel. Get one with {@linkcode SftpClient.start}. */
export class SftpClient {
  readonly #ch: ByteChannel;
  readonly #pending = new Map<number, Pending>();
  #nextId: number;

  // Outgoing: the parts of the requests made this turn, and the onSent callbacks they carry.
  #out: Uint8Array[] = [];
  #outSent: (() => void)[] = [];
  #flushQueued = false;

  // Incoming: chunks not yet consumed (from #head on), their total size, and the size of the
  // packet being waited for (0 while its length is not known yet).
  #chunks: Uint8Array[] = [];
  #head = 0;
  #buffered = 0;
  #need = 0;

  #hello?: { resolve(): void; reject(e: Error): void };
  #version = 0;
  #extensions = new Map<string, string>();
  #limits?: { maxPacket: number; maxRead: number; maxWrite: number; maxOpenHandles: number };

  #failure?: Error;
  #endedResolve!: (e: Error) => void;
  readonly #closedError: (reason: Error | undefined) => Error;

  // The stall watch: when something last came from the server (or requests began to wait),
  // and the ticker that looks while requests wait.
  readonly #stallMs: number;
  #lastIn = 0;
  #stallWatch?: Ticker;

  /** Settles (never rejects) with the error that ended the client, once it has ended. */
  readonly ended: Promise<Error> = new Promise((r) => this.#endedResolve = r);

  private constructor(
    ch: ByteChannel,
    firstId: number,
    closedError: (reason: Error | undefined) => Error,
    stallMs: number,
  ) {
    this.#ch = ch;
    this.#nextId = firstId >>> 0;
    this.#closedError = closedError;
    this.#stallMs = stallMs;
    ch.onData = (chunk) => this.#onData(chunk);
    ch.onClose = (err) => this.fail(closedError(err));
  }

  /**
   * Sends INIT (version 3), waits for VERSION; if the server lists "limits@openssh.com", asks
   * for the limits before resolving. Rejects if the channel closes first, on a malformed
   * VERSION, or after `timeoutMs` (default 20000); the channel is closed then.
   *
   * `closedError` makes the error that the calls waiting (and later ones) fail with when the
   * channel closes, from the channel's reason (default: the reason, else "The SFTP channel
   * closed"); the VFS names its server there. `firstId` sets the first request id (default 0);
   * it exists so tests can reach the wrap. `stallMs` (default 5 minutes, `IDLE_TIMEOUT_MS`): how long
   * requests may wait with nothing coming from the server before the client fails, with the
   * `closedError` of an error saying so.
   */
  static start(
    ch: ByteChannel,
    opts: {
      timeoutMs?: number;
      firstId?: number;
      closedError?: (reason: Error | undefined) => Error;
      stallMs?: number;
    } = {},
  ): Promise<SftpClient> {
    const closedError = opts.closedError ??
      ((err: Error | undefined) => err ?? new Error("The SFTP channel closed"));
    return new SftpClient(ch, opts.firstId ?? 0, closedError, opts.stallMs ?? IDLE_TIMEOUT_MS)
      .#start(opts.timeoutMs ?? 20_000);
  }

  async #start(timeoutMs: number): Promise<SftpClient> {
    // A timeout fails the client, which rejects whatever is waiting (VERSION or the limits).
    const timer = setTimeout(
      () => this.fail(new Error(`Timed out after ${timeoutMs} ms starting the SFTP session`)),
      timeoutMs,
    );
    try {
      const hello = new Promise<void>((resolve, reject) => this.#hello = { resolve, reject });
      this.#queue([new SshWriter(9).u32(5).byte(T.INIT).u32(3).finish()]);
      await hello;
      if (this.#extensions.has(LIMITS_EXT)) {
        try {
          this.#limits = await this.#extended(LIMITS_EXT, null, T.EXTENDED_REPLY, (r) => ({
            maxPacket: r.u64(),
            maxRead: r.u64(),
            maxWrite: r.u64(),
            maxOpenHandles: r.u64(),
          }));
        } catch (e) {
          // A server that lists the extension but refuses it is odd, not broken: go on
          // without limits, as with a server that has none.
          if (!(e instanceof SftpStatusError)) throw e;
        }
      }
      return this;
    } finally {
      clearTimeout(timer);
    }
  }

  /** The protocol version agreed (3). */
  get version(): number {
    return this.#version;
  }

  /** The extensions the server listed in VERSION: name to data. */
  get extensions(): ReadonlyMap<string, string> {
    return this.#extensions;
  }

  /** From limits@openssh.com (0 means "no limit" per OpenSSH), undefined without that extension. */
  get limits():
    | { maxPacket: number; maxRead: number; maxWrite: number; maxOpenHandles: number }
    | undefined {
    return this.#limits;
  }

  /** The attributes of `path`, following symbolic links. */
  stat(path: string): Promise<SftpAttrs> {
    return this.#request(T.STAT, (w) => w.string(path), T.ATTRS, readAttrs);
  }

  /** The attributes of `path` itself (a symbolic link is not followed). */
  lstat(path: string): Promise<SftpAttrs> {
    return this.#request(T.LSTAT, (w) => w.string(path), T.ATTRS, readAttrs);
  }

  /** The attributes of an open file. */
  fstat(handle: Uint8Array): Promise<SftpAttrs> {
    return this.#request(T.FSTAT, (w) => w.string(handle), T.ATTRS, readAttrs);
  }

  /** Changes the attributes given in `attrs` (uid with gid, atime with mtime) of `path`. */
  setstat(path: string, attrs: SftpAttrs): Promise<void> {
    return this.#request(T.SETSTAT, (w) => writeAttrs(w.string(path), attrs), T.STATUS);
  }

  /** Changes the attributes given in `attrs` of an open file. */
  fsetstat(handle: Uint8Array, attrs: SftpAttrs): Promise<void> {
    return this.#request(T.FSETSTAT, (w) => writeAttrs(w.string(handle), attrs), T.STATUS);
  }

  /** Opens a file with `pflags` (see {@linkcode OPEN}); `attrs` apply to a file it creates. */
  open(path: string, pflags: number, attrs: SftpAttrs = {}): Promise<Uint8Array> {
    return this.#request(
      T.OPEN,
      (w) => writeAttrs(w.string(path).u32(pflags), attrs),
      T.HANDLE,
      readHandle,
    );
  }

  /** Closes a handle from {@linkcode open} or {@linkcode opendir}. */
  close(handle: Uint8Array): Promise<void> {
    return this.#request(T.CLOSE, (w) => w.string(handle), T.STATUS);
  }

  /**
   * READ: the DATA answer as the pieces it arrived in — views of the received chunks, NO copy
   * even when the answer spans several chunks; an empty array never; null at EOF (status EOF).
   * The answer may be shorter than `length` (servers cap reads, see {@linkcode limits}).
   */
  read(handle: Uint8Array, offset: number, length: number): Promise<Uint8Array[] | null> {
    return this.#request(
      T.READ,
      (w) => w.string(handle).u64(offset).u32(length),
      T.DATA,
      undefined,
      true,
      length,
    );
  }

  /**
   * WRITE: the request's header and `data` go to the channel as separate parts (no copy of data
   * here); `onSent` is passed on to the channel's write, so it runs once the channel no longer
   * holds `data`. It also runs when the client fails while the request is still queued (the
   * data is dropped then); it does not run when the call is refused at once (the client had
   * already ended), as nothing was kept. Do not change `data` before `onSent`.
   */
  write(handle: Uint8Array, offset: number, data: Uint8Array, onSent?: () => void): Promise<void> {
    if (this.#failure) return Promise.reject(this.#failure);
    let head: Uint8Array;
    try {
      // The packet's length counts the data that follows the header as its own part.
      const w = new SshWriter(4 + 1 + 4 + 4 + handle.length + 8 + 4);
      w.u32(0).byte(T.WRITE).u32(0).string(handle).u64(offset).u32(data.length);
      head = w.finish();
      setU32(head, 0, head.length - 4 + data.length);
    } catch (e) {
      return Promise.reject(e);
    }
    return this.#send(head, data, onSent, T.STATUS);
  }

  /** Opens a folder for {@linkcode readdir}. */
  opendir(path: string): Promise<Uint8Array> {
    return this.#request(T.OPENDIR, (w) => w.string(path), T.HANDLE, readHandle);
  }

  /** The next entries of an open folder (as many as the server sends at once); null at the end. */
  readdir(handle: Uint8Array): Promise<DirEntry[] | null> {
    return this.#request(T.READDIR, (w) => w.string(handle), T.NAME, readNames, true);
  }

  /**
   * All entries of folder `path`: opendir, readdir until EOF, close (also closes the handle on
   * failure). The entries are as the server sends them, "." and ".." included.
   */
  async list(path: string): Promise<DirEntry[]> {
    const handle = await this.opendir(path);
    const all: DirEntry[] = [];
    try {
      for (let got = await this.readdir(handle); got; got = await this.readdir(handle)) {
        for (const e of got) all.push(e);
      }
    } catch (e) {
      // The listing's error is the one to report; a failing close adds nothing to it.
      await this.close(handle).catch(() => {});
      throw e;
    }
    await this.close(handle);
    return all;
  }

  /** Removes a file. */
  remove(path: string): Promise<void> {
    return this.#request(T.REMOVE, (w) => w.string(path), T.STATUS);
  }

  /** Creates a folder with `attrs` (typically a mode). */
  mkdir(path: string, attrs: SftpAttrs = {}): Promise<void> {
    return this.#request(T.MKDIR, (w) => writeAttrs(w.string(path), attrs), T.STATUS);
  }

  /** Removes an empty folder. */
  rmdir(path: string): Promise<void> {
    return this.#request(T.RMDIR, (w) => w.string(path), T.STATUS);
  }

  /** The absolute, canonical form of `path` (the server's). */
  realpath(path: string): Promise<string> {
    return this.#request(T.REALPATH, (w) => w.string(path), T.NAME, readOneName);
  }

  /**
   * Renames `from` to `to`. Under version 3 an existing `to` makes it fail (OpenSSH: FAILURE);
   * see {@linkcode posixRename} to replace it.
   */
  rename(from: string, to: string): Promise<void> {
    return this.#request(T.RENAME, (w) => w.string(from).string(to), T.STATUS);
  }

  /** posix-rename@openssh.com (replaces the target); SftpStatusError OP_UNSUPPORTED when the server lacks it. */
  posixRename(from: string, to: string): Promise<void> {
    return this.#extended(POSIX_RENAME_EXT, (w) => w.string(from).string(to), T.STATUS);
  }

  /** The target of symbolic link `path`, as stored in the link. */
  readlink(path: string): Promise<string> {
    return this.#request(T.READLINK, (w) => w.string(path), T.NAME, readOneName);
  }

  /**
   * Creates symbolic link `linkPath` pointing at `targetPath`.
   *
   * The draft orders SYMLINK's fields linkpath, targetpath; OpenSSH's sftp-server reads them
   * the other way round (target first), and since most servers follow OpenSSH and clients
   * follow it too (its PROTOCOL document records the swap), that order is what is sent: the
   * target first, then the link.
   */
  symlink(linkPath: string, targetPath: string): Promise<void> {
    return this.#request(T.SYMLINK, (w) => w.string(targetPath).string(linkPath), T.STATUS);
  }

  /** Flushes an open file to stable storage (fsync@openssh.com); OP_UNSUPPORTED without it. */
  fsync(handle: Uint8Array): Promise<void> {
    return this.#extended(FSYNC_EXT, (w) => w.string(handle), T.STATUS);
  }

  /** Fails every request in flight and every later call with `err`; closes the channel. Idempotent. */
  fail(err: Error): void {
    if (this.#failure) return;
    this.#failure = err;
    this.#stallWatch?.stop();
    this.#stallWatch = undefined;
    // Incoming bytes are of no use now, and requests not yet handed to the channel never will
    // be: their data is released, which is what their onSent tells the caller.
    this.#chunks = [];
    this.#head = this.#buffered = this.#need = 0;
    const sent = this.#outSent;
    this.#out = [];
    this.#outSent = [];
    const pending = [...this.#pending.values()];
    this.#pending.clear();
    this.#hello?.reject(err);
    this.#hello = undefined;
    for (const p of pending) p.reject(err);
    try {
      this.#ch.close();
    } catch {
      // Closing a channel that is already gone is of no concern: the client has ended anyway.
    }
    this.#endedResolve(err);
    // Last: these are the callers' code, and the client's state must be final if one throws.
    for (const cb of sent) cb();
  }

  /** Sends an extended request if the server listed it, else fails as a server would. */
  #extended<R>(
    name: string,
    fields: ((w: SshWriter) => unknown) | null,
    want: number,
    parse?: (r: SshReader) => R,
  ): Promise<R> {
    if (!this.#failure && !this.#extensions.has(name)) {
      return Promise.reject(
        new SftpStatusError(STATUS.OP_UNSUPPORTED, `The SFTP server does not support ${name}`),
      );
    }
    return this.#request(
      T.EXTENDED,
      (w) => {
        w.string(name);
        fields?.(w);
      },
      want,
      parse,
    );
  }

  /**
   * Builds and queues a request: `fields` writes what follows the id; the answer of type
   * `want` (or a STATUS) settles it.
   */
  #request<R>(
    type: number,
    fields: (w: SshWriter) => unknown,
    want: number,
    parse?: (r: SshReader) => unknown,
    eofIsNull = false,
    maxData = 0,
  ): Promise<R> {
    if (this.#failure) return Promise.reject(this.#failure);
    let packet: Uint8Array;
    try {
      const w = new SshWriter(128);
      w.u32(0).byte(type).u32(0);
      fields(w);
      packet = w.finish();
      setU32(packet, 0, packet.length - 4);
    } catch (e) {
      // A value that cannot be encoded (a negative offset, half a uid/gid pair) fails this
      // call only: nothing was sent.
      return Promise.reject(e);
    }
    return this.#send(packet, undefined, undefined, want, parse, eofIsNull, maxData);
  }

  /** Gives `head` (with its id field still to be set) and `data` an id, and queues them. */
  #send<R>(
    head: Uint8Array,
    data: Uint8Array | undefined,
    onSent: (() => void) | undefined,
    want: number,
    parse?: (r: SshReader) => unknown,
    eofIsNull = false,
    maxData = 0,
  ): Promise<R> {
    const id = this.#takeId();
    setU32(head, 5, id);
    if (this.#pending.size === 0) this.#waitStarts();
    const answer = new Promise<R>((resolve, reject) => {
      this.#pending.set(id, {
        want,
        eofIsNull,
        maxData,
        parse,
        resolve: resolve as (v: unknown) => void,
        reject,
      });
    });
    this.#queue(data ? [head, data] : [head], onSent);
    return answer;
  }

  /** Requests begin to wait (none did): the stall watch counts from now, and looks while any do. */
  #waitStarts(): void {
    this.#lastIn = Date.now();
    if (this.#stallWatch || this.#failure) return;
    this.#stallWatch = every(Math.max(10, Math.min(this.#stallMs / 4, 10_000)), () => {
      if (this.#pending.size === 0) {
        this.#stallWatch?.stop();
        this.#stallWatch = undefined;
      } else if (Date.now() - this.#lastIn >= this.#stallMs) {
        this.fail(
          this.#closedError(
            new Error(
              `The server sent nothing for ${
                this.#stallMs / 1000
              } s while ${this.#pending.size} requests waited`,
            ),
          ),
        );
      }
    });
  }

  /** The next request id not in use; ids wrap at 2^32 and skip any still waiting. */
  #takeId(): number {
    let id: number;
    do {
      id = this.#nextId;
      this.#nextId = (id + 1) >>> 0;
    } while (this.#pending.has(id));
    return id;
  }

  /** Adds parts to this turn's write, which leaves in a microtask. */
  #queue(parts: Uint8Array[], onSent?: () => void): void {
    for (const p of parts) this.#out.push(p);
    if (onSent) this.#outSent.push(onSent);
    if (this.#flushQueued) return;
    this.#flushQueued = true;
    queueMicrotask(() => this.#flush());
  }

  #flush(): void {
    this.#flushQueued = false;
    if (this.#failure || this.#out.length === 0) return;
    const parts = this.#out;
    const sent = this.#outSent;
    this.#out = [];
    this.#outSent = [];
    const onSent = sent.length === 0 ? undefined : () => {
      for (const cb of sent) cb();
    };
    try {
      this.#ch.write(parts, onSent);
    } catch (e) {
      this.fail(e instanceof Error ? e : new Error(String(e)));
    }
  }

  #onData(chunk: Uint8Array): void {
    if (this.#failure || chunk.length === 0) return;
    this.#lastIn = Date.now();
    this.#chunks.push(chunk);
    this.#buffered += chunk.length;
    try {
      this.#parse();
    } catch (e) {
      // WireError: a field ran past its packet, or a number out of range.
      this.fail(
        e instanceof WireError
          ? new SftpProtocolError(`Malformed SFTP answer: ${e.message}`, { cause: e })
          : e instanceof Error
          ? e
          : new Error(String(e)),
      );
    }
  }

  /** Takes every whole packet buffered and hands it on. */
  #parse(): void {
    while (!this.#failure) {
      if (this.#need === 0) {
        if (this.#buffered < 4) return;
        const len = getU32(this.#peek(4), 0);
        if (len < 5 || len > MAX_PACKET) {
          throw new SftpProtocolError(`SFTP packet of ${len} bytes refused`);
        }
        this.#need = 4 + len;
      }
      if (this.#buffered < this.#need) return;
      const len = this.#need - 4;
      this.#need = 0;
      const type = this.#peek(5)[4]!;
      if (type === T.DATA && this.#hello === undefined) {
        this.#onDataPacket(len);
      } else {
        this.#skip(4);
        const body = this.#take(len);
        this.#onPacket(body[0]!, new SshReader(body, 1));
      }
    }
  }

  /** A DATA answer: its bytes go to the READ as views of the chunks they arrived in. */
  #onDataPacket(len: number): void {
    if (len < DATA_HEAD - 4) throw new SftpProtocolError("SFTP DATA answer too short");
    const head = this.#peek(DATA_HEAD);
    const id = getU32(head, 5);
    const n = getU32(head, 9);
    if (n > len - (DATA_HEAD - 4)) {
      throw new SftpProtocolError("SFTP DATA answer longer than its packet");
    }
    const p = this.#answered(id, T.DATA);
    if (n > p.maxData) {
      throw new SftpProtocolError(`SFTP DATA answer of ${n} bytes to a READ of ${p.maxData}`);
    }
    this.#skip(DATA_HEAD);
    const pieces = this.#views(n);
    // Bytes after the data would be fields of a later version: not ours to read.
    this.#skip(len - (DATA_HEAD - 4) - n);
    this.#pending.delete(id);
    p.resolve(pieces);
  }

  /** Any other packet: `r` is positioned after the type byte. */
  #onPacket(type: number, r: SshReader): void {
    if (this.#hello) {
      if (type !== T.VERSION) {
        throw new SftpProtocolError(`Expected the SFTP server's VERSION, got packet type ${type}`);
      }
      const version = r.u32();
      if (version !== 3) {
        throw new SftpProtocolError(`The SFTP server offers version ${version}; aft speaks 3`);
      }
      const ext = new Map<string, string>();
      while (r.remaining > 0) ext.set(r.text(), r.text());
      this.#version = version;
      this.#extensions = ext;
      const hello = this.#hello;
      this.#hello = undefined;
      hello.resolve();
      return;
    }
    const id = r.u32();
    const p = this.#answered(id, type);
    if (type === T.STATUS) {
      const code = r.u32();
      // Some old servers end the packet after the code; the message and language are optional.
      const message = r.remaining >= 4 ? r.text() : "";
      if (code === STATUS.OK && p.want !== T.STATUS) {
        throw new SftpProtocolError(`SFTP status OK where a result (type ${p.want}) was due`);
      }
      this.#pending.delete(id);
      if (code === STATUS.OK) p.resolve(undefined);
      else if (code === STATUS.EOF && p.eofIsNull) p.resolve(null);
      else p.reject(new SftpStatusError(code, message));
      return;
    }
    const result = p.parse!(r);
    this.#pending.delete(id);
    p.resolve(result);
  }

  /**
   * The request `id` answers; refuses unknown ids and types. The request stays pending until
   * its caller settles it, so that a malformed answer (which throws) leaves it to fail().
   */
  #answered(id: number, type: number): Pending {
    const p = this.#pending.get(id);
    if (!p) throw new SftpProtocolError(`SFTP answer (type ${type}) to unknown request ${id}`);
    if (type !== T.STATUS && type !== p.want) {
      throw new SftpProtocolError(`SFTP answer of type ${type} where ${p.want} was due`);
    }
    return p;
  }

  /** The first `n` buffered bytes, not consumed (copied when they span chunks; n is small). */
  #peek(n: number): Uint8Array {
    const first = this.#chunks[this.#head]!;
    if (first.length >= n) return first;
    const out = new Uint8Array(n);
    let at = 0;
    for (let i = this.#head; at < n; i++) {
      const c = this.#chunks[i]!;
      const k = Math.min(c.length, n - at);
      out.set(c.subarray(0, k), at);
      at += k;
    }
    return out;
  }

  /** The next `n` bytes as views of the chunks they are in (one, or an empty view, for n = 0). */
  #views(n: number): Uint8Array[] {
    if (n === 0) return [this.#chunks[this.#head]?.subarray(0, 0) ?? new Uint8Array(0)];
    const out: Uint8Array[] = [];
    while (n > 0) {
      const c = this.#chunks[this.#head]!;
      if (c.length <= n) {
        out.push(c);
        this.#dropFirst();
        n -= c.length;
      } else {
        out.push(c.subarray(0, n));
        this.#chunks[this.#head] = c.subarray(n);
        this.#buffered -= n;
        n = 0;
      }
    }
    return out;
  }

  /** The next `n` bytes in one piece: a view when they are in one chunk, else a copy. */
  #take(n: number): Uint8Array {
    const c = this.#chunks[this.#head]!;
    if (c.length > n) {
      this.#chunks[this.#head] = c.subarray(n);
      this.#buffered -= n;
      return c.subarray(0, n);
    }
    if (c.length === n) {
      this.#dropFirst();
      return c;
    }
    return joinBytes([...this.#views(n)]);
  }

  #skip(n: number): void {
    if (n > 0) this.#views(n);
  }

  /** Drops the first chunk, all of it consumed. */
  #dropFirst(): void {
    this.#buffered -= this.#chunks[this.#head]!.length;
    this.#chunks[this.#head] = EMPTY;
    this.#head++;
    // Compact now and then, so a long run of small chunks does not keep a long array.
    if (this.#head === this.#chunks.length) {
      this.#chunks = [];
      this.#head = 0;
    } else if (this.#head >= 1024 && this.#head * 2 >= this.#chunks.length) {
      this.#chunks = this.#chunks.slice(this.#head);
      this.#head = 0;
    }
  }
}

const EMPTY = new Uint8Array(0);

function getU32(b: Uint8Array, at: number): number {
  return ((b[at]! << 24) | (b[at + 1]! << 16) | (b[at + 2]! << 8) | b[at + 3]!) >>> 0;
}

function setU32(b: Uint8Array, at: number, v: number): void {
  b[at] = v >>> 24;
  b[at + 1] = v >>> 16;
  b[at + 2] = v >>> 8;
  b[at + 3] = v;
}

/** A handle, copied: a view would keep the whole received chunk alive as long as the handle. */
function readHandle(r: SshReader): Uint8Array {
  return r.string().slice();
}

function readAttrs(r: SshReader): SftpAttrs {
  const flags = r.u32();
  const a: SftpAttrs = {};
  if (flags & A.SIZE) a.size = r.u64();
  if (flags & A.UIDGID) {
    a.uid = r.u32();
    a.gid = r.u32();
  }
  if (flags & A.PERMISSIONS) a.mode = r.u32();
  if (flags & A.ACMODTIME) {
    a.atime = r.u32();
    a.mtime = r.u32();
  }
  if (flags & A.EXTENDED) {
    // Vendor attributes: read past them (they must still be well formed) and drop them.
    for (let n = r.u32(); n > 0; n--) {
      r.string();
      r.string();
    }
  }
  return a;
}

/** Writes `a` as v3 ATTRS; uid needs gid and atime needs mtime, as the protocol pairs them. */
function writeAttrs(w: SshWriter, a: SftpAttrs): SshWriter {
  if ((a.uid === undefined) !== (a.gid === undefined)) {
    throw new TypeError("SFTP sets uid and gid together: give both or neither");
  }
  if ((a.atime === undefined) !== (a.mtime === undefined)) {
    throw new TypeError("SFTP sets atime and mtime together: give both or neither");
  }
  let flags = 0;
  if (a.size !== undefined) flags |= A.SIZE;
  if (a.uid !== undefined) flags |= A.UIDGID;
  if (a.mode !== undefined) flags |= A.PERMISSIONS;
  if (a.atime !== undefined) flags |= A.ACMODTIME;
  w.u32(flags);
  if (a.size !== undefined) w.u64(a.size);
  if (a.uid !== undefined) w.u32(a.uid).u32(a.gid!);
  if (a.mode !== undefined) w.u32(a.mode);
  // Times are whole seconds on the wire.
  if (a.atime !== undefined) w.u32(Math.floor(a.atime)).u32(Math.floor(a.mtime!));
  return w;
}

function readNames(r: SshReader): DirEntry[] {
  const n = r.u32();
  const out: DirEntry[] = [];
  for (let i = 0; i < n; i++) {
    out.push({ filename: r.text(), longname: r.text(), attrs: readAttrs(r) });
  }
  return out;
}

/** REALPATH and READLINK answer with a NAME of exactly one entry. */
function readOneName(r: SshReader): string {
  const names = readNames(r);
  if (names.length !== 1) {
    throw new SftpProtocolError(`SFTP NAME of ${names.length} entries where one was due`);
  }
  return names[0]!.filename;
}
