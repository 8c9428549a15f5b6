/**
 * A streamed upload of one S3 object: the bytes written are copied into part buffers of
 * `partSize`, and `concurrency` parts are sent at a time (a writer waits while that many are
 * in flight, so memory stays at about `(concurrency + 1) × partSize`). An object that fits in
 * one part goes up in one PutObject.
 *
 * The part buffers are reused once their part is stored: memory the process touches for the
 * first time costs a page fault per page (and, in a virtual machine that hands freed pages back
 * to its host, a fault on the host too), so filling fresh 8 MiB buffers cost 1.6 to 2.6 CPU
 * seconds per 256 MiB on the 2-core test machine, against 0.01 s for the same copies into
 * buffers already in use. `@aws-sdk/lib-storage`, used before, gathers each part with a
 * `Buffer.concat` into new memory: 1.75 CPU seconds per 256 MiB upload in a profile, more
 * than the rest of the client together. A source that reads into its caller's memory (the
 * disk VFS) fills the part buffers directly (`fill`, see `../direct.ts`): no buffer per read and
 * no copy from it into the part. An upload of 256 MiB from disk to s3rver took aft 1.6 to 1.9
 * CPU seconds with a 1 MiB buffer per read and a copy, 0.9 to 0.95 s so (peak RSS of the
 * process 178 MiB, then 117 MiB).
 *
 * Integrity and atomicity are S3's own, as before: each part is a plain `UploadPart` request
 * with a byte body, so the SDK signs the part's SHA-256 (`x-amz-content-sha256`, which S3
 * checks against the bytes it receives); where the client sends checksums whenever it can
 * (AWS's default), the upload is also declared CRC32, each part carries its CRC32 and the
 * completion lists them, as `@aws-sdk/lib-storage` does. The signed SHA-256 stays, though it
 * is now the largest part of the upload's CPU (0.45 s per 256 MiB in a profile, of about
 * 1.2 s): it is the one per-part check that every server verifying SigV4 applies, over HTTP
 * too, where an unsigned payload with a CRC32 header (what the AWS SDK sends over HTTPS) is
 * checked only by servers that know the newer checksum headers, and Content-MD5 (rclone's)
 * costs more than SHA-256 here (MD5 0.46 s per 256 MiB, SHA-256 0.2 s with the CPU's SHA
 * instructions). Measured, not taken: an unsigned payload took that upload from 0.88 to 0.58
 * CPU seconds and from about 2.8 to 2.3 to 2.6 s of wall time, at the price of no per-part
 * check on such servers. Part size and concurrency stay 8 MiB and 4 by default (the AWS
 * CLI's part size, rclone's concurrency): 8 MiB × 2 and 5 MiB × 4 cost 0.2 to 0.3 CPU
 * seconds less against s3rver (fewer new buffers to touch), but fewer bytes in flight are
 * slower against a distant S3; 16 MiB × 4 gained nothing and took 40 MiB more memory.
 * When the size is known and above one part, the multipart upload is created as the first
 * part is read, not once it is full: one round trip less before the first part goes.
 * The object appears under its key only when
 * CompleteMultipartUpload succeeds; on any failure, or an abort, the multipart upload is
 * aborted so its parts are dropped. A process killed mid-upload never completes it, so no
 * object appears (the unfinished upload's parts stay until the bucket's lifecycle rule for
 * incomplete uploads removes them, as with any S3 client).
 *
 * @module
 */

import {
  AbortMultipartUploadCommand,
  CompleteMultipartUploadCommand,
  CreateMultipartUploadCommand,
  PutObjectCommand,
  type S3Client,
  UploadPartCommand,
} from "@aws-sdk/client-s3";
import type { ObjectSink } from "../object_store/mod.ts";

/** S3 takes this many parts at most in one upload. */
export const MAX_PARTS = 10_000;

/** Where and how one object is uploaded. */
export interface MultipartTarget {
  client: S3Client;
  bucket: string;
  key: string;
  /** Bytes per part (the last may be smaller); 5 MiB at least, as S3 requires. */
  partSize: number;
  /** Parts in flight at once. */
  concurrency: number;
  /**
   * The size the object will have, when known: above one part, the multipart upload is
   * created at once, while the first part is read, rather than once it is full (a round trip
   * less before the first part goes). Any other number of bytes is still taken.
   */
  size?: number;
}

/** Opens a streamed upload of `t.key`; see the module documentation. */
export function multipartSink(t: MultipartTarget): ObjectSink {
  return new MultipartSink(t);
}

class MultipartSink implements ObjectSink {
  readonly #t: MultipartTarget;
  #buf: Uint8Array | undefined;
  /** Part buffers whose upload is done, to fill again (see {@linkcode multipartSink}). */
  readonly #spare: Uint8Array[] = [];
  #fill = 0;
  #partNumber = 0;
  #uploadId: Promise<string> | undefined;
  readonly #parts: { PartNumber: number; ETag: string; ChecksumCRC32?: string }[] = [];
  readonly #inFlight = new Set<Promise<void>>();
  #failure: { err: unknown } | undefined;
  #cleanup: Promise<void> | undefined;
  /** The upload is declared CRC32 (see `#send`). */
  #crc = false;

  constructor(t: MultipartTarget) {
    this.#t = t;
    if (t.size !== undefined && t.size > t.partSize) this.#create();
  }

  async write(chunk: Uint8Array): Promise<void> {
    this.#throwIfFailed();
    const size = this.#t.partSize;
    let at = 0;
    while (at < chunk.length) {
      // Full, and more is coming: it is not the last part.
      if (this.#buf && this.#fill === size) await this.#sendFull();
      this.#buf ??= this.#newBuffer();
      const n = Math.min(size - this.#fill, chunk.length - at);
      this.#buf.set(chunk.subarray(at, at + n), this.#fill);
      this.#fill += n;
      at += n;
    }
  }

  /**
   * Reads the source straight into the part buffers (see `../direct.ts`): each read lends the
   * rest of the current part's buffer to the reader, which hands the same memory back with
   * the bytes in it. A full part goes once the next read brought more (so the last part is
   * never empty), as in `write`.
   */
  async fill(
    reader: ReadableStreamBYOBReader,
    onChunk: (n: number) => void,
    signal?: AbortSignal,
  ): Promise<void> {
    this.#throwIfFailed();
    for (;;) {
      signal?.throwIfAborted();
      const full = this.#fill === this.#t.partSize ? this.#buf : undefined;
      const into = full ? this.#newBuffer() : (this.#buf ??= this.#newBuffer());
      const at = full ? 0 : this.#fill;
      if (!full) this.#buf = undefined; // lent to the reader until it answers
      const { value, done } = await reader.read(into.subarray(at));
      signal?.throwIfAborted();
      if (!value) throw new Error("The source was cancelled while being read");
      const back = new Uint8Array(value.buffer);
      const n = value.byteLength;
      if (full && n === 0) {
        this.#spare.push(back); // the full part is the last: `close` sends it
      } else if (full) {
        await this.#sendFull();
        this.#buf = back;
        this.#fill = n;
      } else {
        this.#buf = back;
        this.#fill += n;
      }
      if (n > 0) onChunk(n);
      if (done) return;
    }
  }

  /** A part buffer: one whose part is stored, or a new one. */
  #newBuffer(): Uint8Array {
    return this.#spare.pop() ?? new Uint8Array(this.#t.partSize);
  }

  /** Sends the full current part, then waits while `concurrency` parts are in flight. */
  async #sendFull(): Promise<void> {
    this.#send(this.#buf!);
    this.#buf = undefined;
    this.#fill = 0;
    while (this.#inFlight.size >= this.#t.concurrency) {
      await Promise.race(this.#inFlight);
      this.#throwIfFailed();
    }
  }

  async close(): Promise<void> {
    this.#throwIfFailed();
    const { client, bucket, key } = this.#t;
    const last = (this.#buf ?? new Uint8Array(0)).subarray(0, this.#fill);
    this.#buf = undefined;
    if (!this.#uploadId) {
      // Everything fits in one part: one request, and the object appears whole or not at all.
      await client.send(
        new PutObjectCommand({ Bucket: bucket, Key: key, Body: last, ContentLength: last.length }),
      );
      return;
    }
    if (last.length > 0) this.#send(last);
    try {
      while (this.#inFlight.size > 0) await Promise.race(this.#inFlight);
      this.#throwIfFailed();
      const UploadId = await this.#uploadId;
      const parts = this.#parts.slice().sort((a, b) => a.PartNumber - b.PartNumber);
      await client.send(
        new CompleteMultipartUploadCommand({
          Bucket: bucket,
          Key: key,
          UploadId,
          MultipartUpload: { Parts: parts },
        }),
      );
    } catch (err) {
      this.#fail(err);
      await this.#cleanup;
      throw err;
    }
  }

  async abort(reason: unknown): Promise<void> {
    this.#buf = undefined;
    this.#fail(reason);
    await this.#cleanup;
  }

  #throwIfFailed(): void {
    if (this.#failure) throw this.#failure.err;
  }

  /** Remembers the first failure and drops the upload's parts once none is in flight. */
  #fail(err: unknown): void {
    this.#failure ??= { err };
    this.#cleanup ??= (async () => {
      while (this.#inFlight.size > 0) await Promise.race(this.#inFlight);
      const id = await this.#uploadId?.catch(() => undefined);
      if (id === undefined) return;
      const { client, bucket, key } = this.#t;
      await client.send(
        new AbortMultipartUploadCommand({ Bucket: bucket, Key: key, UploadId: id }),
      ).catch(() => {});
    })();
  }

  /** Creates the multipart upload, once. */
  #create(): void {
    if (this.#uploadId) return;
    const { client, bucket, key } = this.#t;
    this.#uploadId = (async () => {
      // Where the client sends checksums whenever an operation takes one (AWS's default), the
      // upload is declared CRC32 and every part's CRC32 goes into the completion, which S3
      // checks against what it stored; elsewhere the parts' signed SHA-256 is the check.
      const when = await client.config.requestChecksumCalculation();
      this.#crc = when === "WHEN_SUPPORTED";
      const r = await client.send(
        new CreateMultipartUploadCommand({
          Bucket: bucket,
          Key: key,
          ChecksumAlgorithm: this.#crc ? "CRC32" : undefined,
        }),
      );
      if (!r.UploadId) throw new Error(`No upload id in the answer for "${key}"`);
      return r.UploadId;
    })();
    // Failing here fails the upload (as a part would), even before a part is sent.
    this.#uploadId.catch((err) => this.#fail(err));
  }

  /** Starts sending one part (the upload is created along with the first, if not yet). */
  #send(data: Uint8Array): void {
    const { client, bucket, key } = this.#t;
    const PartNumber = ++this.#partNumber;
    this.#create();
    const sent: Promise<void> = (async () => {
      if (PartNumber > MAX_PARTS) {
        throw new RangeError(
          `Upload of "${key}" needs more than ${MAX_PARTS} parts: raise the "partSizeMiB" option`,
        );
      }
      const UploadId = await this.#uploadId!;
      const r = await client.send(
        new UploadPartCommand({
          Bucket: bucket,
          Key: key,
          UploadId,
          PartNumber,
          Body: data,
          ContentLength: data.length,
          ChecksumAlgorithm: this.#crc ? "CRC32" : undefined,
        }),
      );
      if (!r.ETag) throw new Error(`No ETag in the answer for part ${PartNumber} of "${key}"`);
      this.#parts.push({ PartNumber, ETag: r.ETag, ChecksumCRC32: r.ChecksumCRC32 });
      // The server has the whole part: its buffer can take the next one.
      if (data.length === this.#t.partSize) this.#spare.push(data);
    })().catch((err) => this.#fail(err)).finally(() => this.#inFlight.delete(sent));
    this.#inFlight.add(sent);
  }
}
