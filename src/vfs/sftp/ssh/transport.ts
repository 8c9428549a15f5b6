/**
 * The SSH transport (RFC 4253) over `Deno.connect`: version lines, binary packets sealed and
 * opened by `./cipher.ts`, key exchange (first and later ones, either side may start one), the
 * host key check, and the messages every connection handles (DISCONNECT, IGNORE, DEBUG,
 * EXT_INFO, global requests, keepalives). Authentication (`./auth.ts`) and channels
 * (`./channel.ts`) run on top of it.
 *
 * Reads go into buffers of {@linkcode READ_SIZE} that are never written again once a packet in
 * them has been handed on: a packet's payload is a view of the bytes read (deciphered in
 * place), which the SFTP client keeps as file data until it is written out. A packet that does
 * not fit in what is left of a buffer starts a new one.
 *
 * Writes: the packets of one turn of the event loop are sealed into one buffer, kept for the
 * next turn, and leave in one socket write. The payload's bytes are copied once, by the
 * sealing itself; `send`'s `onSealed` says when the caller may use its buffers again.
 *
 * While a key exchange is under way, messages other than the exchange's wait and go after the
 * NEWKEYS that ends it (RFC 4253 7.1).
 *
 * Leaving: where aft ends the connection for what the server sent (a message against the
 * protocol, a packet that fails its check, a failed key exchange, a host key refused), a
 * DISCONNECT with RFC 4253 11.1's reason and the error's text goes first, as OpenSSH's client
 * sends; `end()` sends one "by application". Nothing is sent back to the server's own
 * DISCONNECT, nor where the connection itself failed (closed, reset, not SSH).
 *
 * @module
 */

import {
  type Backend,
  cipherSpec,
  MACS,
  macSpec,
  newOpener,
  newSealer,
  type Opener,
  preferredCiphers,
  type Sealer,
  warmUp,
} from "./cipher.ts";
import { fingerprintSHA256, HOST_KEY_ALGORITHMS, verifyHostSignature } from "./keys.ts";
import {
  type Agreed,
  deriveKeys,
  digest,
  type Exchange,
  type KexInit,
  kexInitMessage,
  negotiate,
  parseKexInit,
  startExchange,
} from "./kex.ts";
import { DISCONNECT_REASON, isKexMessage, MSG } from "./messages.ts";
import { SshReader, SshWriter, WireError } from "./wire.ts";

/** The most one socket read takes. */
export const READ_SIZE = 256 * 1024;
/** The buffer the packets of one turn are sealed into (larger batches get a buffer of their own). */
const GATHER_SIZE = 512 * 1024;
/** Largest packet accepted: a channel's largest data packet and room for headers and padding. */
export const MAX_PACKET = 256 * 1024 + 4096;
/** The version line aft sends. */
const VERSION = "SSH-2.0-aft";
/** Lines a server may send before its version line (RFC 4253 4.2), and their total size. */
const MAX_PRE_LINES = 1024;
const MAX_LINE = 8192;
/**
 * Answers to the server's own messages (see {@linkcode SshTransport.answer}) that may wait to
 * be sent: far more than a 256 KiB read can ask for (about 7,000 of the smallest packets).
 */
const MAX_ANSWERS_WAITING = 65_536;
/** The longest a DISCONNECT may take to leave before the TCP connection is closed anyway. */
const GOODBYE_MS = 1_000;
/** The most of a DISCONNECT's description that is sent (characters). */
const GOODBYE_TEXT = 200;

/** How to connect and what to accept. */
export interface TransportOptions {
  host: string;
  port: number;
  /** Ciphers to offer, best first (default: `preferredCiphers()`). */
  ciphers?: readonly string[];
  /** MACs, key exchange methods and host key algorithms to offer (defaults: all, best first). */
  macs?: readonly string[];
  kex?: readonly string[];
  hostKeyAlgorithms?: readonly string[];
  /** For tests: which implementation of the ciphers (default: OpenSSL where it loads). */
  cipherBackend?: Backend;
  /**
   * Decides on the server's host key at the first key exchange, before anything is sent under
   * the keys agreed: answer false to refuse the connection (it then fails with
   * {@linkcode HostKeyRefused}).
   */
  acceptHostKey(fingerprint: string, blob: Uint8Array): boolean;
  /** Milliseconds for the TCP connection and the first key exchange (default 20,000). */
  readyTimeoutMs?: number;
  /** Steps of the connection, for `aft run --timings`. */
  onStep?: (what: string) => void;
  /** Protocol messages, for debugging (`AFT_SSH_DEBUG=1`). */
  debug?: (message: string) => void;
}

/** The host key was refused by `acceptHostKey`. */
export class HostKeyRefused extends Error {
  override name = "HostKeyRefused";
  constructor(readonly fingerprint: string) {
    super(`The server's host key ${fingerprint} was refused`);
  }
}

/** The connection failed or ended; `code` as `node:net` would give it, where one applies. */
export class SshConnectionError extends Error {
  override name = "SshConnectionError";
  code?: string;
  /**
   * The reason aft's DISCONNECT gives the server for this error, where the default does not
   * fit (see {@linkcode disconnectReason}).
   */
  reason?: number;
}

/** An error about the server's host key: the DISCONNECT says HOST_KEY_NOT_VERIFIABLE. */
function hostKeyError(message: string): SshConnectionError {
  const err = new SshConnectionError(message);
  err.reason = DISCONNECT_REASON.HOST_KEY_NOT_VERIFIABLE;
  return err;
}

/** What aft tells the server in its DISCONNECT (RFC 4253 11.1). */
export interface Goodbye {
  reason: number;
  /** The description (default: the error's message), cut to 200 characters. */
  text?: string;
}

/** What receives the messages of one channel (by the local channel number). */
export interface ChannelHandler {
  /** A message for the channel; `r` is past the recipient channel number. */
  message(type: number, r: SshReader, payload: Uint8Array): void;
  /** The connection ended. */
  lost(err: Error): void;
}

interface Outgoing {
  parts: readonly Uint8Array[];
  length: number;
  onSealed?: () => void;
}

interface KexState {
  mine: KexInit;
  theirs?: KexInit;
  agreed?: Agreed;
  exchange?: Exchange;
  /** The keys to take into use at our NEWKEYS and at theirs. */
  sealer?: Sealer;
  opener?: Opener;
  done: PromiseWithResolvers<void>;
  dropNext: boolean;
  /** The server's NEWKEYS has come. */
  theirNewKeys: boolean;
}

const utf8 = new TextEncoder();

/** One SSH connection's transport. */
export class SshTransport {
  readonly #o: TransportOptions;
  readonly #conn: Deno.TcpConn;
  #sealer: Sealer = newSealer(null);
  #opener: Opener = newOpener(null, MAX_PACKET);
  #seqOut = 0;
  #seqIn = 0;
  #queue: Outgoing[] = [];
  /** Messages held while a key exchange is under way. */
  #held: Outgoing[] = [];
  #writing = false;
  #gather = new Uint8Array(GATHER_SIZE);
  #kex?: KexState;
  #firstKexDone = false;
  #strict = false;
  /** The server's first NEWKEYS has come (strict mode refuses anything else before it). */
  #firstNewKeysIn = false;
  #versionServer = "";
  #sessionId?: Uint8Array;
  /** The host key accepted at the first key exchange. */
  #hostKey?: Uint8Array;
  /** Messages for authentication are kept for {@linkcode next} until it is done. */
  #authenticating = true;
  #inbox: Uint8Array[] = [];
  #waiters: PromiseWithResolvers<Uint8Array>[] = [];
  #channels = new Map<number, ChannelHandler>();
  #closed?: Error;
  #ended = Promise.withResolvers<Error>();
  #lastIn = Date.now();
  #keepalive?: ReturnType<typeof setInterval>;
  #keepalivesUnanswered = 0;
  /** Answers queued and not sealed yet (see {@linkcode answer}). */
  #answersWaiting = 0;
  /** The write loop while it runs (it never rejects). */
  #writer: Promise<void> = Promise.resolve();
  /** The DISCONNECT on its way out, once the connection is closed with one. */
  #goodbye: Promise<void> = Promise.resolve();
  /** The cipher agreed (client to server) at the last key exchange. */
  cipher = "";
  /** Everything agreed at the last key exchange. */
  agreed?: Agreed;
  /** Key exchanges completed on this connection. */
  exchanges = 0;
  /** Signature algorithms the server takes for user keys (RFC 8308 server-sig-algs), if said. */
  serverSigAlgs?: string[];

  private constructor(o: TransportOptions, conn: Deno.TcpConn) {
    this.#o = o;
    this.#conn = conn;
  }

  /** Connects, exchanges versions and keys; resolves once the first NEWKEYS are in use. */
  static async connect(o: TransportOptions): Promise<SshTransport> {
    const timeoutMs = o.readyTimeoutMs ?? 20_000;
    let conn: Deno.TcpConn;
    const timer = Promise.withResolvers<never>();
    const t = setTimeout(
      () => timer.reject(new SshConnectionError(`Timed out while connecting (${timeoutMs} ms)`)),
      timeoutMs,
    );
    try {
      conn = await Promise.race([
        Deno.connect({ hostname: o.host, port: o.port }).catch((e) => {
          throw connectError(e);
        }),
        timer.promise,
      ]);
    } catch (err) {
      clearTimeout(t);
      throw err;
    }
    conn.setNoDelay(true);
    o.onStep?.("TCP connected");
    const tr = new SshTransport(o, conn);
    try {
      await Promise.race([tr.#start(), timer.promise]);
    } catch (err) {
      tr.close(err instanceof Error ? err : new Error(String(err)));
      throw tr.#closed ?? err;
    } finally {
      clearTimeout(t);
    }
    return tr;
  }

  /** The session identifier (the first exchange hash). */
  get sessionId(): Uint8Array {
    if (!this.#sessionId) throw new Error("No key exchange yet");
    return this.#sessionId;
  }

  /** Settles with the error that ended the connection (never rejects). */
  get ended(): Promise<Error> {
    return this.#ended.promise;
  }

  /** Whether the connection has ended. */
  get isClosed(): boolean {
    return this.#closed !== undefined;
  }

  async #start(): Promise<void> {
    const mine = this.#newKex(true);
    // The version line and the KEXINIT leave together, without waiting for the server's line.
    const line = utf8.encode(VERSION + "\r\n");
    await writeAll(this.#conn, line);
    this.#sendNow(mine.mine.payload);
    // The server takes 10 to 35 ms here to start its side of the connection (sshd forks and
    // runs itself anew for each): the ciphers' set-up is done meanwhile, not after its answer.
    setTimeout(() => {
      try {
        warmUp();
      } catch { /* the sealer will say what is wrong */ }
    }, 0);
    void this.#readLoop();
    await mine.done.promise;
    this.#o.onStep?.(`keys agreed (${this.cipher})`);
    this.#startKeepalive();
  }

  /** Registers the handler of channel `local` (until {@linkcode dropChannel}). */
  addChannel(local: number, handler: ChannelHandler): void {
    this.#channels.set(local, handler);
  }

  dropChannel(local: number): void {
    this.#channels.delete(local);
  }

  /** A free local channel number. */
  freeChannelNumber(): number {
    let n = 0;
    while (this.#channels.has(n)) n++;
    return n;
  }

  /**
   * The next message that no other part handles (authentication, service answers), in order;
   * rejects once the connection has ended.
   */
  next(): Promise<Uint8Array> {
    const m = this.#inbox.shift();
    if (m) return Promise.resolve(m);
    if (this.#closed) return Promise.reject(this.#closed);
    const w = Promise.withResolvers<Uint8Array>();
    this.#waiters.push(w);
    return w.promise;
  }

  /**
   * Sends one message (the concatenation of `parts`); `onSealed` once its bytes have been
   * copied out (the caller may then change them). Messages leave in the order sent.
   */
  send(parts: Uint8Array | readonly Uint8Array[], onSealed?: () => void): void {
    if (this.#closed) return;
    const list = parts instanceof Uint8Array ? [parts] : parts;
    let length = 0;
    for (const p of list) length += p.length;
    const item = { parts: list, length, onSealed };
    const type = list[0]![0]!;
    this.#o.debug?.(`ssh -> ${type} (${length} bytes)`);
    if (this.#kex && !isKexMessage(type) && type > MSG.DEBUG) this.#held.push(item);
    else this.#queue.push(item);
    this.#flushSoon();
  }

  /**
   * Sends the answer a message of the server's asks for (UNIMPLEMENTED, REQUEST_FAILURE, a
   * refusal). A server that sends such messages and does not read the answers made them pile
   * up here without bound (600,000 one-byte messages, 36 bytes each on the wire, took the
   * client's heap 203 MiB higher without the limit): past {@linkcode MAX_ANSWERS_WAITING}
   * unsent the connection ends instead.
   */
  answer(payload: Uint8Array): void {
    if (this.#answersWaiting >= MAX_ANSWERS_WAITING) {
      this.close(
        new SshConnectionError(
          `The server does not read aft's answers (${MAX_ANSWERS_WAITING} waiting to be sent)`,
        ),
        { reason: DISCONNECT_REASON.PROTOCOL_ERROR },
      );
      return;
    }
    this.#answersWaiting++;
    this.send(payload, () => this.#answersWaiting--);
  }

  #sendNow(payload: Uint8Array): void {
    this.#queue.push({ parts: [payload], length: payload.length });
    this.#flushSoon();
  }

  #flushSoon(): void {
    if (this.#writing) return;
    this.#writing = true;
    this.#writer = Promise.resolve().then(() => this.#writeLoop());
  }

  async #writeLoop(): Promise<void> {
    try {
      while (this.#queue.length > 0 && !this.#closed) {
        let out = this.#gather;
        let at = 0;
        while (this.#queue.length > 0) {
          const item = this.#queue[0]!;
          const n = this.#sealer.sealedLength(item.length);
          if (at + n > out.length) {
            if (at > 0) break;
            out = new Uint8Array(n); // one packet larger than the gather buffer
          }
          this.#queue.shift();
          const sealing = this.#sealer.seal(item.parts, this.#seqOut, out.subarray(at, at + n));
          if (sealing) await sealing;
          this.#seqOut = (this.#seqOut + 1) >>> 0;
          at += n;
          item.onSealed?.();
          if (item.parts[0]![0] === MSG.NEWKEYS) this.#ourNewKeysSent();
        }
        this.#o.debug?.(`ssh -> ${at} bytes`);
        await writeAll(this.#conn, out.subarray(0, at));
      }
    } catch (err) {
      this.close(asError(err, "Cannot send to the server"));
    } finally {
      this.#writing = false;
      if (this.#queue.length > 0 && !this.#closed) this.#flushSoon();
    }
  }

  async #readLoop(): Promise<void> {
    let buf = new Uint8Array(READ_SIZE);
    let start = 0;
    let end = 0;
    let need = 0;
    let versionDone = false;
    let preLines = 0;
    // Where a failure comes from: the connection ("read": closed, reset, not SSH; nothing more
    // is said to the server), a packet's check, or a message (`type`): see disconnectReason.
    let stage: "read" | "packet" | "message" = "read";
    let type = 0;
    try {
      for (;;) {
        if (end === buf.length) {
          // Room for what is left of the current packet: a new buffer, with the part read so
          // far moved into it (views of earlier packets keep the old one).
          const size = Math.max(READ_SIZE, need + 1);
          const next = new Uint8Array(size);
          next.set(buf.subarray(start, end));
          end -= start;
          start = 0;
          buf = next;
        }
        stage = "read";
        const n = await this.#conn.read(buf.subarray(end));
        if (this.#closed) return;
        if (n === null) throw new SshConnectionError("The server closed the connection");
        end += n;
        this.#lastIn = Date.now();
        if (!versionDone) {
          for (;;) {
            const nl = buf.subarray(start, end).indexOf(10);
            if (nl < 0) {
              if (end - start > MAX_LINE) {
                throw new SshConnectionError("Not an SSH server (no version line)");
              }
              break;
            }
            const text = new TextDecoder().decode(buf.subarray(start, start + nl)).replace(
              /\r$/,
              "",
            );
            start += nl + 1;
            if (text.startsWith("SSH-")) {
              if (!/^SSH-(2\.0|1\.99)-/.test(text)) {
                throw new SshConnectionError(
                  `The server speaks an SSH version aft does not: "${text}"`,
                );
              }
              this.#versionServer = text;
              versionDone = true;
              break;
            }
            if (++preLines > MAX_PRE_LINES) {
              throw new SshConnectionError("Not an SSH server (no version line)");
            }
          }
          if (!versionDone) continue;
        }
        // Whole packets in what has been read.
        for (;;) {
          const have = end - start;
          if (need === 0) {
            if (have < this.#opener.headLength) break;
            stage = "packet";
            try {
              need = this.#opener.wireLength(
                buf.subarray(start, start + this.#opener.headLength),
                this.#seqIn,
              );
            } catch (err) {
              throw unchecked(err);
            }
          }
          if (have < need) break;
          const packet = buf.subarray(start, start + need);
          start += need;
          need = 0;
          let payload: Uint8Array;
          try {
            const opened = this.#opener.open(packet, this.#seqIn);
            payload = opened instanceof Uint8Array ? opened : await opened;
          } catch (err) {
            throw unchecked(err);
          }
          this.#seqIn = (this.#seqIn + 1) >>> 0;
          stage = "message";
          type = payload[0] ?? 0;
          if (payload.length === 0) throw new SshConnectionError("Empty SSH packet");
          const handled = this.#onMessage(payload);
          if (handled) await handled;
          if (this.#closed) return;
        }
        if (start === end) {
          // Everything read was handed on: the next read goes into new memory.
          if (start > 0) {
            buf = buf.length - end >= 64 * 1024 ? buf.subarray(end) : new Uint8Array(READ_SIZE);
            start = end = 0;
          }
        }
      }
    } catch (err) {
      const e = asError(err, "The SSH connection failed");
      this.close(e, stage === "read" ? undefined : { reason: disconnectReason(err, stage, type) });
    }
  }

  /** Handles one message; a promise where the rest must wait for it (key exchange steps). */
  #onMessage(payload: Uint8Array): void | Promise<void> {
    const type = payload[0]!;
    this.#o.debug?.(`ssh <- ${type} (${payload.length} bytes)`);
    if (type === MSG.DISCONNECT) {
      // Taken at any time, also during a strict first key exchange (which refuses any other
      // message then): the connection ends either way, and the server's text says why.
      const r = new SshReader(payload, 1);
      const code = r.u32();
      const why = r.text();
      // The server's word is the last one: nothing goes back (RFC 4253 11.1).
      this.close(new SshConnectionError(`The server disconnected (${code}): ${why}`));
      return;
    }
    if (this.#strict && !this.#firstNewKeysIn && !isKexMessage(type)) {
      throw new SshConnectionError(`Message ${type} during the first key exchange (strict mode)`);
    }
    if (this.#kex?.dropNext && isKexMessage(type) && type !== MSG.KEXINIT) {
      this.#kex.dropNext = false;
      return;
    }
    switch (type) {
      case MSG.IGNORE:
      case MSG.DEBUG:
      case MSG.UNIMPLEMENTED:
        return;
      case MSG.EXT_INFO:
        return this.#onExtInfo(payload);
      case MSG.KEXINIT:
        return this.#onKexInit(payload);
      case MSG.KEX_REPLY:
        return this.#onKexReply(payload);
      case MSG.NEWKEYS:
        return this.#onNewKeys();
      case MSG.GLOBAL_REQUEST: {
        const r = new SshReader(payload, 1);
        r.string();
        if (r.bool()) this.answer(new Uint8Array([MSG.REQUEST_FAILURE]));
        // No answer wanted (OpenSSH's "hostkeys-00@openssh.com" right after sign-in): an
        // IGNORE goes back anyway, so that this side's TCP acknowledgement leaves now. Without
        // it, sshd's answer to the channel open that crossed this message came about 40 ms
        // late (seen with AFT_SSH_DEBUG; presumably Nagle's algorithm on sshd's side waiting
        // for the acknowledgement this side's kernel delayed).
        else this.answer(new SshWriter(8).byte(MSG.IGNORE).string("").finish());
        return;
      }
      case MSG.REQUEST_SUCCESS:
      case MSG.REQUEST_FAILURE:
        this.#keepalivesUnanswered = 0;
        return;
      case MSG.CHANNEL_OPEN: {
        // Nothing is forwarded to aft: refuse (1: administratively prohibited).
        const r = new SshReader(payload, 1);
        r.string();
        const sender = r.u32();
        this.answer(
          new SshWriter(64).byte(MSG.CHANNEL_OPEN_FAILURE).u32(sender).u32(1).string("").string("")
            .finish(),
        );
        return;
      }
    }
    if (isKexMessage(type)) throw new SshConnectionError(`Unexpected key exchange message ${type}`);
    if (type >= MSG.CHANNEL_OPEN_CONFIRMATION && type <= MSG.CHANNEL_FAILURE) {
      const r = new SshReader(payload, 1);
      const local = r.u32();
      const h = this.#channels.get(local);
      if (!h) {
        throw new SshConnectionError(`Message ${type} for channel ${local}, which is not open`);
      }
      h.message(type, r, payload);
      return;
    }
    if (this.#authenticating && type >= MSG.SERVICE_REQUEST && type <= 79) {
      // Signed in as of USERAUTH_SUCCESS itself, not only once auth.ts calls authenticated() a
      // few microtasks later: a message of this range in the same read, right behind it, was
      // kept for the sign-in and then dropped by authenticated(), never answered UNIMPLEMENTED.
      if (type === MSG.USERAUTH_SUCCESS) this.#authenticating = false;
      const w = this.#waiters.shift();
      if (w) w.resolve(payload);
      else this.#inbox.push(payload);
      return;
    }
    // Anything else is not implemented here (RFC 4253 11.4), and nothing of it is kept.
    this.answer(new SshWriter(8).byte(MSG.UNIMPLEMENTED).u32((this.#seqIn - 1) >>> 0).finish());
  }

  /** Authentication is over: its messages are no longer expected (see {@linkcode next}). */
  authenticated(): void {
    this.#authenticating = false;
    this.#inbox = [];
  }

  #onExtInfo(payload: Uint8Array): void {
    const r = new SshReader(payload, 1);
    const n = r.u32();
    for (let i = 0; i < n; i++) {
      const name = r.text();
      const value = r.text();
      if (name === "server-sig-algs") this.serverSigAlgs = value.split(",");
    }
  }

  #newKex(first: boolean): KexState {
    const mine = kexInitMessage({
      kex: this.#o.kex,
      hostKey: this.#o.hostKeyAlgorithms ?? HOST_KEY_ALGORITHMS,
      ciphers: this.#o.ciphers ?? preferredCiphers(),
      macs: this.#o.macs ?? MACS,
      first,
    });
    this.#kex = { mine, done: Promise.withResolvers<void>(), dropNext: false, theirNewKeys: false };
    this.#kex.done.promise.catch(() => {});
    return this.#kex;
  }

  /** Starts a key exchange now (the server may also start one at any time). */
  rekey(): Promise<void> {
    if (this.#closed) return Promise.reject(this.#closed);
    if (this.#kex) return this.#kex.done.promise;
    const k = this.#newKex(false);
    this.#sendNow(k.mine.payload);
    return k.done.promise;
  }

  async #onKexInit(payload: Uint8Array): Promise<void> {
    if (this.#kex?.theirs) throw new SshConnectionError("A second KEXINIT during a key exchange");
    let k = this.#kex;
    if (!k) {
      // The server starts this exchange: ours answers it (the first one went at the start).
      k = this.#newKex(false);
      this.#sendNow(k.mine.payload);
    }
    k.theirs = parseKexInit(payload);
    if (!this.#firstKexDone && k.theirs.kex.includes("kex-strict-s-v00@openssh.com")) {
      // Strict mode: the server's KEXINIT must have been its first packet.
      if (this.#seqIn !== 1) {
        throw new SshConnectionError("Strict key exchange: KEXINIT was not the first packet");
      }
    }
    k.agreed = negotiate(k.mine, k.theirs, (c) => cipherSpec(c)?.aead === true);
    if (!this.#firstKexDone) this.#strict = k.agreed.strict;
    k.dropNext = k.agreed.dropGuess;
    k.exchange = await startExchange(k.agreed.kex);
    const w = new SshWriter(600).byte(MSG.KEX_INIT);
    k.exchange.writePublic(w);
    this.#sendNow(w.finish());
  }

  async #onKexReply(payload: Uint8Array): Promise<void> {
    const k = this.#kex;
    if (!k?.exchange || !k.agreed || !k.theirs) {
      throw new SshConnectionError("KEX reply out of turn");
    }
    const r = new SshReader(payload, 1);
    const hostKey = r.string().slice();
    const h = new SshWriter(4096)
      .string(VERSION)
      .string(this.#versionServer)
      .string(k.mine.payload)
      .string(k.theirs.payload)
      .string(hostKey);
    k.exchange.writePublic(h);
    k.exchange.readServerPublic(r, h);
    const sig = r.string().slice();
    const secret = await k.exchange.secret();
    h.mpint(secret);
    const hash = await digest(k.exchange.hash, h.finish());
    if (!(await verifyHostSignature(k.agreed.hostKey, hostKey, sig, hash))) {
      throw hostKeyError("The server's host key signature does not verify");
    }
    if (!this.#firstKexDone) {
      const fp = await fingerprintSHA256(hostKey);
      if (!this.#o.acceptHostKey(fp, hostKey)) throw new HostKeyRefused(fp);
      this.#hostKey = hostKey;
    } else if (!sameBytes(hostKey, this.#hostKey!)) {
      // The key accepted at the start stays the server's key (as OpenSSH's client holds it).
      throw hostKeyError("The server's host key changed during the connection");
    }
    this.#sessionId ??= hash;
    const a = k.agreed;
    const cs = cipherSpec(a.cipherCS)!;
    const sc = cipherSpec(a.cipherSC)!;
    const mcs = a.macCS ? macSpec(a.macCS)! : undefined;
    const msc = a.macSC ? macSpec(a.macSC)! : undefined;
    const keys = await deriveKeys(k.exchange.hash, secret, hash, this.#sessionId, {
      iv: [cs.ivLength, sc.ivLength],
      key: [cs.keyLength, sc.keyLength],
      mac: [mcs?.keyLength ?? 0, msc?.keyLength ?? 0],
    });
    k.sealer = newSealer({
      cipher: a.cipherCS,
      mac: a.macCS,
      key: keys.keyCS,
      iv: keys.ivCS,
      macKey: keys.macCS,
    });
    k.opener = newOpener(
      { cipher: a.cipherSC, mac: a.macSC, key: keys.keySC, iv: keys.ivSC, macKey: keys.macSC },
      MAX_PACKET,
    );
    // Nothing is read meanwhile: the read loop waits for this step.
    await k.opener.ready;
    this.cipher = a.cipherCS;
    this.agreed = a;
    this.#sendNow(new Uint8Array([MSG.NEWKEYS]));
  }

  /** Our NEWKEYS has been sealed: what follows goes under the new keys. */
  #ourNewKeysSent(): void {
    const k = this.#kex!;
    this.#sealer = k.sealer!;
    if (this.#strict) this.#seqOut = 0;
    k.sealer = undefined;
    this.#maybeKexDone();
  }

  #onNewKeys(): void {
    const k = this.#kex;
    if (!k?.opener) throw new SshConnectionError("NEWKEYS out of turn");
    this.#opener = k.opener;
    k.opener = undefined;
    if (this.#strict) this.#seqIn = 0;
    this.#firstNewKeysIn = true;
    // Our NEWKEYS was queued before theirs could come; it may still be on its way out.
    k.theirNewKeys = true;
    this.#maybeKexDone();
  }

  #maybeKexDone(): void {
    const k = this.#kex;
    if (!k || k.sealer || !k.theirNewKeys) return;
    this.#kex = undefined;
    this.#firstKexDone = true;
    this.exchanges++;
    // Messages held during the exchange go now, in order.
    this.#queue.push(...this.#held);
    this.#held = [];
    this.#flushSoon();
    k.done.resolve();
  }

  #startKeepalive(): void {
    // A keepalive when nothing came for 15 s; four unanswered ones end the connection (a
    // server or network that went away without closing it).
    const every = 15_000;
    this.#keepalive = setInterval(() => {
      if (Date.now() - this.#lastIn < every) return;
      if (++this.#keepalivesUnanswered > 4) {
        this.close(
          new SshConnectionError("The server stopped answering (four keepalives unanswered)"),
        );
        return;
      }
      this.send(
        new SshWriter(48).byte(MSG.GLOBAL_REQUEST).string("keepalive@openssh.com").bool(true)
          .finish(),
      );
    }, every);
    Deno.unrefTimer(this.#keepalive as unknown as number);
  }

  /** Ends the connection politely: a DISCONNECT (by application), then the close. */
  async end(): Promise<void> {
    this.close(new SshConnectionError("The connection was closed"), {
      reason: DISCONNECT_REASON.BY_APPLICATION,
      text: "closed by aft",
    });
    await this.#goodbye;
  }

  /**
   * Ends the connection with `err` as the reason (idempotent): what waits on it fails with
   * `err` at once. With `goodbye`, a DISCONNECT saying why goes to the server first, after what
   * is being written now (the TCP connection closes once it has left, or after
   * {@linkcode GOODBYE_MS}); without, the TCP connection closes at once.
   */
  close(err: Error, goodbye?: Goodbye): void {
    if (this.#closed) return;
    this.#closed = err;
    if (this.#keepalive !== undefined) clearInterval(this.#keepalive);
    if (goodbye) this.#goodbye = this.#sayGoodbye(goodbye.reason, goodbye.text ?? err.message);
    else this.#closeConn();
    for (const w of this.#waiters) w.reject(err);
    this.#waiters = [];
    // Nothing more leaves: what waited to be sent (and the sign-in's inbox) goes now, not when
    // the transport itself is collected.
    this.#queue = [];
    this.#held = [];
    this.#inbox = [];
    this.#kex?.done.reject(err);
    for (const h of [...this.#channels.values()]) {
      try {
        h.lost(err);
      } catch { /* a channel's own failure must not stop the others' */ }
    }
    this.#channels.clear();
    this.#ended.resolve(err);
  }

  /** Sends DISCONNECT `reason` with `text` once the write loop has stopped, then closes. */
  async #sayGoodbye(reason: number, text: string): Promise<void> {
    const limit = setTimeout(() => this.#closeConn(), GOODBYE_MS);
    try {
      // The loop stops after the write under way (the transport is closed): this goes next.
      await this.#writer;
      const payload = new SshWriter(64 + GOODBYE_TEXT * 4).byte(MSG.DISCONNECT).u32(reason)
        .string(text.slice(0, GOODBYE_TEXT)).string("").finish();
      const out = new Uint8Array(this.#sealer.sealedLength(payload.length));
      const sealing = this.#sealer.seal([payload], this.#seqOut, out);
      if (sealing) await sealing;
      await writeAll(this.#conn, out);
    } catch {
      // The connection went first (or the time ran out): nothing more to say.
    } finally {
      clearTimeout(limit);
      this.#closeConn();
    }
  }

  #closeConn(): void {
    try {
      this.#conn.close();
    } catch { /* already closed */ }
  }

  /** Why the connection ended, once it has. */
  get closedBecause(): Error | undefined {
    return this.#closed;
  }
}

async function writeAll(conn: Deno.Conn, data: Uint8Array): Promise<void> {
  let at = 0;
  while (at < data.length) at += await conn.write(data.subarray(at));
}

function sameBytes(a: Uint8Array, b: Uint8Array): boolean {
  return a.length === b.length && a.every((x, i) => x === b[i]);
}

/**
 * The reason of the DISCONNECT for `err`, which the server's `stage` caused: the error's own
 * (host key errors), else MAC_ERROR for a packet that failed its check, KEY_EXCHANGE_FAILED for
 * a key exchange message, PROTOCOL_ERROR for any other message.
 */
function disconnectReason(err: unknown, stage: "packet" | "message", type: number): number {
  if (err instanceof HostKeyRefused) return DISCONNECT_REASON.HOST_KEY_NOT_VERIFIABLE;
  if (err instanceof SshConnectionError && err.reason !== undefined) return err.reason;
  if (stage === "packet") return DISCONNECT_REASON.MAC_ERROR;
  return isKexMessage(type)
    ? DISCONNECT_REASON.KEY_EXCHANGE_FAILED
    : DISCONNECT_REASON.PROTOCOL_ERROR;
}

/** A packet that failed the cipher's checks (altered on the way, or not SSH at all). */
function unchecked(err: unknown): SshConnectionError {
  const why = err instanceof Error ? err.message : String(err);
  return new SshConnectionError(`An SSH packet from the server failed its check (${why})`);
}

function asError(err: unknown, what: string): Error {
  if (err instanceof Error) {
    if (err instanceof WireError) return new SshConnectionError(`${what}: ${err.message}`);
    if (err instanceof Deno.errors.ConnectionReset || err instanceof Deno.errors.BrokenPipe) {
      return new SshConnectionError(`The connection was reset: ${err.message}`);
    }
    return err;
  }
  return new SshConnectionError(`${what}: ${String(err)}`);
}

/** A `Deno.connect` failure with the code `node:net` would give it (see `../_map_error.ts`). */
export function connectError(err: unknown): SshConnectionError {
  const e = err instanceof Error ? err : new Error(String(err));
  const out = new SshConnectionError(e.message, { cause: e });
  if (err instanceof Deno.errors.ConnectionRefused) out.code = "ECONNREFUSED";
  // A name that does not resolve: Linux and macOS (Rust's "failed to lookup address
  // information: ..."), Windows (WSAHOST_NOT_FOUND 11001, WSANO_DATA 11004).
  else if (/failed to lookup address|No such host is known|os error 1100[14]\b/i.test(e.message)) {
    out.code = "ENOTFOUND";
  }
  return out;
}
