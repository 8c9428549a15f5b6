/**
 * A whole small file written from one buffer, with no stream: its WRITE requests, an FSTAT and
 * the CLOSE leave together right after the OPEN has answered, none waiting for another's answer
 * (the server answers in order). Writing a file so costs two round trips, as through
 * `openWrite`, without the stream machinery's work per file, which is most of the client's work
 * when files are small. A file that fits in one WRITE shares one SSH packet with its FSTAT and
 * CLOSE, and with the other requests made in the same turn of the event loop (./together.ts).
 *
 * @module
 */

import { Buffer } from "node:buffer";
import type { SFTPWrapper, Stats } from "./ssh2.ts";
import { dataPath, type RequestError } from "./data_path.ts";
import { mapError } from "./_map_error.ts";
import { maxLen } from "./transport.ts";
import type { Guard } from "./guard.ts";
import { soon } from "./together.ts";

/** Files up to this size go in one WRITE in the same SSH packet as their FSTAT and CLOSE. */
const ONE_PACKET = 16 * 1024;

/**
 * Writes `data` from offset 0 through the open `handle`, then closes it; resolves with the
 * size the server reports for the file before the close. A failed request rejects with an
 * error naming `vpath`, once every request has been answered (the handle is closed then).
 */
export async function writeWhole(
  sftp: SFTPWrapper,
  guard: Guard,
  handle: Buffer,
  data: Uint8Array,
  vpath: string,
): Promise<number> {
  const done = (resolve: () => void, reject: (e: unknown) => void) => (err?: unknown) =>
    err ? reject(mapError(err, vpath)) : resolve();
  const fstat = () =>
    guard<Stats>((resolve, reject) =>
      sftp.fstat(handle, (err, st) => err ? reject(mapError(err, vpath)) : resolve(st))
    );
  const close = () => guard<void>((resolve, reject) => sftp.close(handle, done(resolve, reject)));
  // Not past ssh2's own limit: a longer WRITE it would split, sending the rest only once the
  // first part is answered (after the FSTAT and CLOSE).
  const most = (sftp as unknown as { _maxWriteLen?: number })._maxWriteLen ?? 0;
  if (data.length <= Math.min(ONE_PACKET, most)) {
    // ssh2's own WRITE (a copy of at most 16 KiB), so that it goes through the channel as the
    // FSTAT and CLOSE do, in one payload with them and the other requests of this turn of the
    // event loop (./together.ts).
    const made = Promise.withResolvers<{ requests: Promise<unknown>[]; stored: Promise<Stats> }>();
    soon(sftp, () => {
      const requests: Promise<unknown>[] = [];
      if (data.length > 0) {
        const buf = Buffer.from(data.buffer, data.byteOffset, data.length);
        requests.push(
          guard<void>((resolve, reject) =>
            sftp.write(handle, buf, 0, buf.length, 0, done(resolve, reject))
          ),
        );
      }
      const stored = fstat();
      requests.push(stored, close());
      made.resolve({ requests, stored });
    }, made.reject);
    const { requests, stored } = await made.promise;
    return await settleAll(requests, stored);
  }
  const fast = dataPath(sftp);
  const chunk = maxLen(sftp, "write");
  const requests: Promise<unknown>[] = [];
  /** WRITEs still waiting for room in the server's window (the FSTAT and CLOSE go after). */
  const waiting: Promise<void>[] = [];
  for (let at = 0; at < data.length; at += chunk) {
    const part = data.subarray(at, Math.min(at + chunk, data.length));
    const pos = at;
    let sent = false;
    const { promise, resolve: onSent } = Promise.withResolvers<void>();
    const request = guard<void>((resolve, reject) => {
      const cb = done(resolve, reject);
      const leave = () => {
        sent = true;
        onSent();
      };
      if (fast) return fast.write(handle, pos, part, leave, cb as (e?: RequestError) => void);
      sftp.write(handle, Buffer.from(part), 0, part.length, pos, (err) => cb(err ?? undefined));
      leave(); // ssh2 queued its copy in order
    });
    requests.push(request);
    if (!sent) waiting.push(Promise.race([promise, request.then(() => {}, () => {})]));
  }
  if (waiting.length > 0) await Promise.all(waiting);
  const stored = fstat();
  return await settleAll([...requests, stored, close()], stored);
}

/** Waits for every request; throws the first failure, else answers the size `stored` gives. */
async function settleAll(requests: Promise<unknown>[], stored: Promise<Stats>): Promise<number> {
  const all = await Promise.allSettled(requests);
  const failed = all.find((r) => r.status === "rejected");
  if (failed) throw (failed as PromiseRejectedResult).reason;
  return Number((await stored).size);
}
