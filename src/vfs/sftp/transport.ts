/**
 * How aft drives ssh2's transport: the packets of one burst leave in one socket write, and
 * requests are as large as the server allows.
 *
 * @module
 */

import type { Client as SshClient, SFTPWrapper } from "./ssh2.ts";
import type { PacketPool } from "./packet_pool.ts";

/**
 * ssh2 writes every SSH packet (at most 32 KiB) to the socket on its own. Corking the socket
 * for the rest of the current task lets the packets of one burst leave in one write. A write of
 * a packet from `pool` gets the callback that hands its buffer back once the socket is done.
 */
export function batchWrites(client: SshClient, pool?: PacketPool): void {
  const sock = (client as unknown as {
    _sock?: { write: (...a: unknown[]) => boolean; cork(): void; uncork(): void };
  })._sock;
  if (!sock || typeof sock.cork !== "function") return;
  const write = sock.write.bind(sock);
  let corked = false;
  sock.write = (...args: unknown[]) => {
    if (!corked) {
      corked = true;
      sock.cork();
      queueMicrotask(() => {
        corked = false;
        sock.uncork();
      });
    }
    const done = args.length === 1 ? pool?.track(args[0]) : undefined;
    return done ? write(args[0], done) : write(...args);
  };
}

/** The largest read or write request the server takes, within 16 to 256 KiB. */
export function maxLen(sftp: SFTPWrapper, which: "read" | "write"): number {
  const s = sftp as unknown as { _maxReadLen?: number; _maxWriteLen?: number };
  const n = which === "read" ? s._maxReadLen : s._maxWriteLen;
  return Math.max(16 * 1024, Math.min(n ?? 32 * 1024, 256 * 1024));
}
