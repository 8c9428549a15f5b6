/**
 * One S3 bucket as the object-store surface, over the AWS SDK v3: HeadObject, ListObjectsV2,
 * ranged GetObject, streamed uploads (`multipart.ts`: one PutObject for small objects,
 * multipart with parts of `partSize` and `concurrency` of them in flight otherwise (8 MiB and 4
 * by default), so memory stays bounded; the object
 * appears under its key only once the upload completes), DeleteObjects in batches of 1,000,
 * and CopyObject (part by part past its 5 GiB limit).
 *
 * @module
 */

import {
  AbortMultipartUploadCommand,
  CompleteMultipartUploadCommand,
  CopyObjectCommand,
  CreateMultipartUploadCommand,
  DeleteObjectCommand,
  DeleteObjectsCommand,
  GetObjectCommand,
  HeadObjectCommand,
  ListObjectsV2Command,
  PutObjectCommand,
  type S3Client,
  UploadPartCopyCommand,
} from "@aws-sdk/client-s3";
import {
  DEFAULT_TRANSFER,
  emptyStream,
  markSize,
  parallel,
  type TransferOptions,
} from "../object_store/mod.ts";
import type { ListRequest, ObjectSink, ObjectStore } from "../object_store/mod.ts";
import type { VfsError } from "../types.ts";
import { mapS3Error } from "./_map_error.ts";
import { multipartSink } from "./multipart.ts";

const MiB = 1024 * 1024;
/** CopyObject handles up to 5 GiB; larger objects are copied part by part. */
const COPY_LIMIT = 5 * 1024 * MiB;
const COPY_PART = 512 * MiB;
/** DeleteObjects takes this many keys at most. */
const DELETE_BATCH = 1000;

/**
 * Key component of an `x-amz-copy-source`: every byte outside RFC 3986 unreserved escaped, as
 * S3 expects. `loose` leaves `#$&+,:;=@` as they are, for servers that decode the header with
 * JavaScript's `decodeURI` (s3rver), which keeps their escapes.
 */
function encodeKey(key: string, loose = false): string {
  const strict = key.split("/").map((s) =>
    encodeURIComponent(s).replace(
      /[!'()*]/g,
      (c) => "%" + c.charCodeAt(0).toString(16).toUpperCase(),
    )
  ).join("/");
  return loose
    ? strict.replace(/%(23|24|26|2B|2C|3A|3B|3D|40)/g, (e) => decodeURIComponent(e))
    : strict;
}

/** An S3 bucket as an {@linkcode ObjectStore}. */
export class S3Store implements ObjectStore {
  readonly objects = "S3 objects";

  constructor(
    readonly client: S3Client,
    readonly bucket: string,
    readonly transfer: TransferOptions = DEFAULT_TRANSFER,
  ) {}

  get label(): string {
    return `S3 bucket "${this.bucket}"`;
  }

  async head(key: string) {
    const r = await this.client.send(new HeadObjectCommand({ Bucket: this.bucket, Key: key }));
    return { key, size: r.ContentLength ?? 0, modTime: r.LastModified };
  }

  async list(req: ListRequest) {
    const r = await this.client.send(
      new ListObjectsV2Command({
        Bucket: this.bucket,
        Prefix: req.prefix || undefined,
        Delimiter: req.delimited ? "/" : undefined,
        MaxKeys: req.max,
        ContinuationToken: req.token,
      }),
    );
    return {
      objects: (r.Contents ?? []).map((c) => ({
        key: c.Key ?? "",
        size: c.Size ?? 0,
        modTime: c.LastModified,
      })),
      prefixes: (r.CommonPrefixes ?? []).map((cp) => cp.Prefix ?? ""),
      next: r.IsTruncated ? r.NextContinuationToken : undefined,
    };
  }

  async read(
    key: string,
    { offset, length }: { offset: number; length?: number },
  ): Promise<ReadableStream<Uint8Array>> {
    const ranged = offset > 0 || length !== undefined;
    const range = ranged
      ? `bytes=${offset}-${length !== undefined ? offset + length - 1 : ""}`
      : undefined;
    const res = await this.client.send(
      new GetObjectCommand({ Bucket: this.bucket, Key: key, Range: range }),
    );
    const body = res.Body as
      | { transformToWebStream?: () => ReadableStream<Uint8Array> }
      | undefined;
    const stream = body?.transformToWebStream ? body.transformToWebStream() : emptyStream();
    const total = ranged ? Number(/\/(\d+)$/.exec(res.ContentRange ?? "")?.[1]) : res.ContentLength;
    return total !== undefined && Number.isSafeInteger(total) ? markSize(stream, total) : stream;
  }

  openWrite(key: string, size?: number): Promise<ObjectSink> {
    const { partSize, concurrency } = this.transfer;
    return Promise.resolve(
      multipartSink({ client: this.client, bucket: this.bucket, key, partSize, concurrency, size }),
    );
  }

  async put(key: string, data: Uint8Array): Promise<void> {
    await this.client.send(
      new PutObjectCommand({
        Bucket: this.bucket,
        Key: key,
        Body: data,
        ContentLength: data.length,
      }),
    );
  }

  async delete(key: string): Promise<void> {
    await this.client.send(new DeleteObjectCommand({ Bucket: this.bucket, Key: key }));
  }

  async deleteMany(keys: string[]): Promise<{ key: string; error: unknown } | undefined> {
    for (let i = 0; i < keys.length; i += DELETE_BATCH) {
      const batch = keys.slice(i, i + DELETE_BATCH);
      const r = await this.client.send(
        new DeleteObjectsCommand({
          Bucket: this.bucket,
          Delete: { Objects: batch.map((Key) => ({ Key })), Quiet: true },
        }),
      );
      const failed = r.Errors?.[0];
      if (failed) {
        return { key: failed.Key ?? "", error: { name: failed.Code, message: failed.Message } };
      }
    }
    return undefined;
  }

  /** Server-side copy of one object, part by part past CopyObject's 5 GiB limit. */
  async copy(from: string, to: string, size: number): Promise<void> {
    const CopySource = `${this.bucket}/${encodeKey(from)}`;
    if (size <= COPY_LIMIT) {
      try {
        await this.client.send(
          new CopyObjectCommand({ Bucket: this.bucket, Key: to, CopySource }),
        );
      } catch (err) {
        const loose = `${this.bucket}/${encodeKey(from, true)}`;
        if (loose === CopySource || mapS3Error(err).code !== "NOT_FOUND") throw err;
        // Some S3-compatible servers do not undo every escape of the copy source.
        await this.client.send(
          new CopyObjectCommand({ Bucket: this.bucket, Key: to, CopySource: loose }),
        );
      }
      return;
    }
    const { UploadId } = await this.client.send(
      new CreateMultipartUploadCommand({ Bucket: this.bucket, Key: to }),
    );
    try {
      const parts: { PartNumber: number; ETag?: string }[] = [];
      const ranges = Array.from({ length: Math.ceil(size / COPY_PART) }, (_, i) => i);
      await parallel(ranges, 4, async (i) => {
        const start = i * COPY_PART;
        const end = Math.min(size, start + COPY_PART) - 1;
        const r = await this.client.send(
          new UploadPartCopyCommand({
            Bucket: this.bucket,
            Key: to,
            UploadId,
            PartNumber: i + 1,
            CopySource,
            CopySourceRange: `bytes=${start}-${end}`,
          }),
        );
        parts[i] = { PartNumber: i + 1, ETag: r.CopyPartResult?.ETag };
      });
      await this.client.send(
        new CompleteMultipartUploadCommand({
          Bucket: this.bucket,
          Key: to,
          UploadId,
          MultipartUpload: { Parts: parts },
        }),
      );
    } catch (err) {
      await this.client.send(
        new AbortMultipartUploadCommand({ Bucket: this.bucket, Key: to, UploadId }),
      ).catch(() => {});
      throw err;
    }
  }

  /** A missing object, not a missing bucket (HEAD answers carry no code to tell them by). */
  isMissing(err: unknown): boolean {
    const e = mapS3Error(err);
    return e.code === "NOT_FOUND" && !/bucket/i.test(e.message);
  }

  isPastEnd(err: unknown): boolean {
    const e = err as { name?: string; Code?: string; $metadata?: { httpStatusCode?: number } };
    return e?.name === "InvalidRange" || e?.Code === "InvalidRange" ||
      e?.$metadata?.httpStatusCode === 416;
  }

  mapError(err: unknown, path?: string): VfsError {
    return mapS3Error(err, path);
  }

  close(): void {
    this.client.destroy();
  }
}
