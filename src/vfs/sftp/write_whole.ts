/**
 * A whole small file written from one buffer, with no stream: its WRITE requests, an FSTAT and
 * the CLOSE leave together right after the OPEN has answered, none waiting for another's answer
 * (the server answers in order). Writing a file so costs two round trips, as through
 * `openWrite`, without the stream machinery's work per file, which is most of the client's work
 * when files are small.
 *
 * @module
 */

import { Buffer } from "node:buffer";
import type { SFTPWrapper, Stats } from "./ssh2.ts";
import { dataPath, type RequestError } from "./data_path.ts";
import { mapError } from "./_map_error.ts";
import { maxLen } from "./transport.ts";
import type { Guard } from "./guard.ts";

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
  const fast = dataPath(sftp);
  const chunk = maxLen(sftp, "write");
  const done = (resolve: () => void, reject: (e: unknown) => void) => (err?: unknown) =>
    err ? reject(mapError(err, vpath)) : resolve();
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
  const stored = guard<Stats>((resolve, reject) =>
    sftp.fstat(handle, (err, st) => err ? reject(mapError(err, vpath)) : resolve(st))
  );
  const closed = guard<void>((resolve, reject) => sftp.close(handle, done(resolve, reject)));
  const all = await Promise.allSettled([...requests, stored, closed]);
  const failed = all.find((r) => r.status === "rejected");
  if (failed) throw (failed as PromiseRejectedResult).reason;
  return Number((await stored).size);
}
