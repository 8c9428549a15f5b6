/**
 * A session channel running a subsystem (RFC 4254 sections 5 and 6.5), as a byte stream both
 * ways: what the SFTP client (`../client.ts`) runs over.
 *
 * Incoming: the channel's window is kept at {@linkcode INCOMING_WINDOW} (topped up once half is
 * used), larger than the 2 MiB ssh2 kept (this backend's client before), so that a server never
 * stops sending answers to reads already asked for while aft is busy; packets may hold up to
 * {@linkcode CHANNEL_MAX_PACKET} bytes. Each CHANNEL_DATA is handed on as a view of the packet
 * (no copy).
 *
 * Outgoing: writes are queued in order and leave as CHANNEL_DATA packets as large as the
 * server's window and packet size allow; a write's bytes are referenced, not copied, until the
 * transport seals the packet that carries the last of them (then `onSent`).
 *
 * The subsystem request goes out right behind the open's confirmation, and what the caller
 * writes next goes right behind it, without waiting for the server's answer (a round trip
 * less): a server processes a channel's messages in order, and a refusal closes the channel
 * with a clear error.
 *
 * @module
 */

import { MSG } from "./messages.ts";
import { SshConnectionError, type SshTransport } from "./transport.ts";
import { type SshReader, SshWriter } from "./wire.ts";

/** The incoming window kept open. */
export const INCOMING_WINDOW = 16 * 1024 * 1024;
/** The largest CHANNEL_DATA accepted. */
export const CHANNEL_MAX_PACKET = 256 * 1024;

interface Pending {
  parts: readonly Uint8Array[];
  /** The part being sent and how far into it. */
  i: number;
  off: number;
  onSent?: () => void;
}

/** The channel closed: by the server, by a refusal, or because the connection ended. */
export class ChannelClosed extends Error {
  override name = "ChannelClosed";
}

/** Opens a session channel and starts `subsystem` on it. */
export async function openSubsystem(t: SshTransport, subsystem: string): Promise<SessionChannel> {
  const local = t.freeChannelNumber();
  const ch = new SessionChannel(t, local, subsystem);
  t.addChannel(local, ch);
  t.send(
    new SshWriter(64).byte(MSG.CHANNEL_OPEN).string("session").u32(local).u32(INCOMING_WINDOW)
      .u32(CHANNEL_MAX_PACKET).finish(),
  );
  await ch.opened;
  return ch;
}

/** One session channel; see the module comment. */
export class SessionChannel {
  readonly #t: SshTransport;
  readonly #local: number;
  readonly #subsystem: string;
  #remote = -1;
  #remoteWindow = 0;
  /** The widest the server's window has been (what it holds when all is given back). */
  #widest = 0;
  #remoteMax = 0;
  #localWindow = INCOMING_WINDOW;
  #pending: Pending[] = [];
  #open = Promise.withResolvers<void>();
  #closedSent = false;
  #ended = false;
  /** Data received, in order. */
  onData?: (chunk: Uint8Array) => void;
  /** The channel ended; `err` says why. */
  onClose?: (err?: Error) => void;
  /**
   * Whether more may leave while `unacked` bytes sit in the server's window (sent, not given
   * back yet); unset, as much as the window takes. Call {@linkcode kick} when the answer may
   * have changed for another reason than the window.
   */
  writeAhead?: (unacked: number) => boolean;

  constructor(t: SshTransport, local: number, subsystem: string) {
    this.#t = t;
    this.#local = local;
    this.#subsystem = subsystem;
    this.#open.promise.catch(() => {});
  }

  /** Settles once the server has confirmed the channel (and the subsystem request is sent). */
  get opened(): Promise<void> {
    return this.#open.promise;
  }

  write(parts: readonly Uint8Array[], onSent?: () => void): void {
    if (this.#ended) return;
    this.#pending.push({ parts, i: 0, off: 0, onSent });
    this.#pump();
  }

  /** Sends what may go now (see {@linkcode writeAhead}). */
  kick(): void {
    this.#pump();
  }

  #pump(): void {
    while (this.#pending.length > 0 && this.#remoteWindow > 0 && this.#remote >= 0) {
      if (this.writeAhead && !this.writeAhead(this.#widest - this.#remoteWindow)) return;
      const room = Math.min(this.#remoteWindow, this.#remoteMax);
      const slices: Uint8Array[] = [];
      const sent: (() => void)[] = [];
      let n = 0;
      while (this.#pending.length > 0 && n < room) {
        const e = this.#pending[0]!;
        const part = e.parts[e.i]!;
        const take = Math.min(part.length - e.off, room - n);
        if (take > 0) slices.push(part.subarray(e.off, e.off + take));
        n += take;
        e.off += take;
        if (e.off === part.length) {
          e.i++;
          e.off = 0;
          if (e.i === e.parts.length) {
            this.#pending.shift();
            if (e.onSent) sent.push(e.onSent);
          }
        }
      }
      if (n === 0) {
        // Only empty writes: they are sent as soon as they are reached.
        for (const f of sent) f();
        continue;
      }
      this.#remoteWindow -= n;
      const head = new SshWriter(16).byte(MSG.CHANNEL_DATA).u32(this.#remote).u32(n).finish();
      this.#t.send(
        [head, ...slices],
        sent.length === 0 ? undefined : () => {
          for (const f of sent) f();
        },
      );
    }
  }

  /** Handles a message for this channel (the transport calls it). */
  message(type: number, r: SshReader): void {
    if (type === MSG.CHANNEL_CLOSE) {
      // The number is free again once both sides have sent CLOSE.
      this.#sendClose();
      this.#t.dropChannel(this.#local);
      this.#end(new ChannelClosed(`The server closed the "${this.#subsystem}" channel`));
      return;
    }
    // After our CLOSE, what the server sent before it saw that is dropped.
    if (this.#ended) return;
    // Before its confirmation the channel has no number on the server's side to answer to
    // (a window adjustment for data sent that early failed on "Not a uint32"); a second
    // confirmation would send the subsystem request again. Either is the server's mistake,
    // and the connection ends with it (the transport closes it on what this throws).
    const confirming = type === MSG.CHANNEL_OPEN_CONFIRMATION || type === MSG.CHANNEL_OPEN_FAILURE;
    if ((this.#remote < 0) !== confirming) {
      throw new SshConnectionError(
        this.#remote < 0
          ? `The server sent message ${type} on a channel it had not confirmed`
          : `The server answered the opening of a channel it had already confirmed (${type})`,
      );
    }
    switch (type) {
      case MSG.CHANNEL_OPEN_CONFIRMATION: {
        this.#remote = r.u32();
        this.#remoteWindow = r.u32();
        this.#widest = this.#remoteWindow;
        this.#remoteMax = Math.max(1, r.u32());
        this.#t.send(
          new SshWriter(64).byte(MSG.CHANNEL_REQUEST).u32(this.#remote).string("subsystem")
            .bool(true).string(this.#subsystem).finish(),
        );
        this.#open.resolve();
        this.#pump();
        return;
      }
      case MSG.CHANNEL_OPEN_FAILURE: {
        const code = r.u32();
        const why = r.text();
        this.#end(new ChannelClosed(`The server refused a session channel (${code}): ${why}`));
        return;
      }
      case MSG.CHANNEL_WINDOW_ADJUST:
        this.#remoteWindow = Math.min(this.#remoteWindow + r.u32(), 0xffff_ffff);
        this.#widest = Math.max(this.#widest, this.#remoteWindow);
        this.#pump();
        return;
      case MSG.CHANNEL_DATA:
      case MSG.CHANNEL_EXTENDED_DATA: {
        if (type === MSG.CHANNEL_EXTENDED_DATA) r.u32();
        const data = r.string();
        this.#localWindow -= data.length;
        if (this.#localWindow < INCOMING_WINDOW / 2) {
          this.#t.send(
            new SshWriter(16).byte(MSG.CHANNEL_WINDOW_ADJUST).u32(this.#remote)
              .u32(INCOMING_WINDOW - this.#localWindow).finish(),
          );
          this.#localWindow = INCOMING_WINDOW;
        }
        // The subsystem's standard error (extended data) is not part of the stream.
        if (type === MSG.CHANNEL_DATA && data.length > 0) this.onData?.(data);
        return;
      }
      case MSG.CHANNEL_SUCCESS:
        return;
      case MSG.CHANNEL_FAILURE:
        this.#end(new ChannelClosed(`The server refused the "${this.#subsystem}" subsystem`));
        return;
      case MSG.CHANNEL_EOF:
        return;
      case MSG.CHANNEL_REQUEST: {
        // exit-status and the like: answered where a reply is wanted.
        r.string();
        if (r.bool()) {
          this.#t.answer(new SshWriter(8).byte(MSG.CHANNEL_FAILURE).u32(this.#remote).finish());
        }
        return;
      }
    }
  }

  /** The connection ended (the transport calls it). */
  lost(err: Error): void {
    this.#end(err);
  }

  #end(err: Error): void {
    if (this.#ended) return;
    this.#ended = true;
    this.#open.reject(err);
    this.#sendClose();
    if (this.#remote < 0) this.#t.dropChannel(this.#local); // never confirmed: nothing to wait for
    this.#pending = [];
    this.onClose?.(err);
  }

  #sendClose(): void {
    if (this.#closedSent || this.#remote < 0 || this.#t.isClosed) return;
    this.#closedSent = true;
    this.#t.send(new SshWriter(8).byte(MSG.CHANNEL_CLOSE).u32(this.#remote).finish());
  }

  /** Closes the channel. */
  close(): void {
    this.#end(new ChannelClosed("The channel was closed"));
  }
}
