/**
 * SFTP requests that leave in one SSH packet. An SFTP channel is a byte stream: any number of
 * SFTP messages may share the payload of one SSH_MSG_CHANNEL_DATA packet, and a server reads
 * them off the stream one after another in the order sent (SSH connection protocol, RFC 4254
 * section 5.2; SFTP draft 02 section 3). ssh2 sends every request as a packet of its own, and
 * each packet costs both ends its framing, its encryption and its decryption: a small file's
 * WRITE, FSTAT and CLOSE in one packet instead of three is a noticeable part of what copying
 * many small files costs, on the client and in the server.
 *
 * This changes the framing only: the requests are ssh2's own (ids, answers, window accounting),
 * in the same order, and a server sees the same bytes on the channel.
 *
 * {@linkcode soon} goes further: requests made during one turn of the event loop (the opens and
 * renames of several files whose previous answers arrived together, say) leave together at its
 * end. They leave later than they were made, so only requests that need no other request to go
 * first without waiting for its answer may be sent so: none that follows, unanswered, a READ or
 * WRITE of the data path (which sends at once).
 *
 * @module
 */

import { Buffer } from "node:buffer";
import { setImmediate } from "node:timers";
import type { SFTPWrapper } from "./ssh2.ts";

type ChannelData = (this: unknown, channel: number, data: Uint8Array) => void;

/** The parts of ssh2's SFTP object this module uses. */
interface Internals {
  outgoing?: { id?: unknown; packetSize?: unknown };
  _protocol?: { channelData?: ChannelData };
}

/**
 * Runs `send`, which makes ssh2 requests on `sftp` synchronously, and sends what they put on
 * the channel together: in as few SSH packets as the server's packet size allows, in order.
 * Requests ssh2 holds back for the window are sent by ssh2 later, after these. Where ssh2's
 * internals are not as expected, the requests go as ssh2 sends them.
 */
export function together(sftp: SFTPWrapper, send: () => void): void {
  const s = sftp as unknown as Internals;
  const proto = s._protocol;
  const id = s.outgoing?.id;
  const size = s.outgoing?.packetSize;
  const original = proto?.channelData;
  if (!proto || typeof original !== "function" || typeof id !== "number") return send();
  if (typeof size !== "number" || size < 1) return send();
  const own = Object.hasOwn(proto, "channelData");
  const parts: Uint8Array[] = [];
  let bytes = 0;
  proto.channelData = function (channel: number, data: Uint8Array) {
    if (channel !== id) return original.call(this, channel, data);
    parts.push(data);
    bytes += data.length;
  };
  try {
    send();
  } finally {
    if (own) proto.channelData = original;
    else delete proto.channelData;
    // ssh2 took each part off the window already; only the packets' boundaries change.
    if (parts.length === 1) original.call(proto, id, parts[0]!);
    else if (parts.length > 1) {
      // A Buffer: ssh2 sends anything else as a string.
      const all = Buffer.allocUnsafe(bytes);
      let at = 0;
      for (const p of parts) {
        all.set(p, at);
        at += p.length;
      }
      for (let from = 0; from < bytes; from += size) {
        original.call(proto, id, all.subarray(from, Math.min(from + size, bytes)));
      }
    }
  }
}

/** Requests waiting for the end of this turn of the event loop, per SFTP channel. */
const queued = new WeakMap<SFTPWrapper, (() => void)[]>();

/**
 * Makes the ssh2 requests of `send` at the end of this turn of the event loop, together with
 * every other request made so on `sftp` meanwhile (in the order they were queued). `send`
 * should pass what it throws to the caller's callback: an exception here is caught and given
 * to `onThrow`.
 */
export function soon(sftp: SFTPWrapper, send: () => void, onThrow: (err: unknown) => void): void {
  const run = () => {
    try {
      send();
    } catch (err) {
      onThrow(err);
    }
  };
  let list = queued.get(sftp);
  if (list) return void list.push(run);
  queued.set(sftp, list = [run]);
  setImmediate(() => {
    queued.delete(sftp);
    together(sftp, () => {
      for (const f of list) f();
    });
  });
}
