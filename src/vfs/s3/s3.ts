/**
 * S3 backend over the AWS SDK v3 (`@aws-sdk/client-s3`, multipart uploads with
 * `@aws-sdk/lib-storage`), for Amazon S3 and S3-compatible servers.
 *
 * Target `s3://bucket/prefix?region=eu-west-1&endpoint=http://127.0.0.1:9000`; `region` and
 * `endpoint` may also be given as options. With an `endpoint` (an S3-compatible server) the
 * client uses path-style addressing and sends checksums only where the API requires them, which
 * is what most S3-compatible servers understand. Options `accessKeyId`, `secretAccessKey`
 * (and `sessionToken`); without them the SDK's default credential chain applies (environment,
 * profile, instance role).
 *
 * Object stores have no folders: a folder is a key prefix. `mkdir` writes a zero-byte `dir/`
 * marker so that empty folders show in listings (as the S3 console does); a folder exists while
 * its marker or any key under it does. Writes stream through `Upload` (one PutObject for small
 * files, multipart with 8 MiB parts and 4 in flight otherwise: memory stays bounded) and the
 * object appears under its name only once the upload completes. `rename` is copy then delete
 * (for a folder: every key under its prefix). S3 cannot set modification times, permissions or
 * append, and its ETag is not a plain MD5 for multipart objects, so no hash is offered.
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
  type ListObjectsV2CommandOutput,
  PutObjectCommand,
  S3Client,
  type S3ClientConfig,
  UploadPartCopyCommand,
} from "@aws-sdk/client-s3";
import { Upload } from "@aws-sdk/lib-storage";
import {
  bucketCheckError,
  emptyStream,
  folderInfo,
  guardStream,
  OBJECT_STORE_FEATURES,
  objectInfo,
  parallel,
  parseBucketTarget,
} from "../object_store.ts";
import { dirname, normalizePath } from "../path.ts";
import { readCaFile, withCertificateReason } from "../tls_reason.ts";
import {
  type FileInfo,
  type ReadOptions,
  type Vfs,
  type VfsContext,
  type VfsDefinition,
  VfsError,
  type WriteOptions,
} from "../types.ts";

const FEATURES = OBJECT_STORE_FEATURES;

const MiB = 1024 * 1024;
/** Multipart upload part size and parts in flight: at most ~(4 + 1) × 8 MiB buffered. */
const PART_SIZE = 8 * MiB;
const QUEUE_SIZE = 4;
/** CopyObject handles up to 5 GiB; larger objects are copied part by part. */
const COPY_LIMIT = 5 * 1024 * MiB;
const COPY_PART = 512 * MiB;
/** Requests run at once for folder renames and copies. */
const PARALLEL = 8;

/** Connection settings parsed from a definition. */
export interface S3Options {
  bucket: string;
  /** Key prefix of the VFS root: `""` or ending with `/`. */
  prefix: string;
  region: string;
  endpoint?: string;
  accessKeyId?: string;
  secretAccessKey?: string;
  sessionToken?: string;
  /** Path-style addressing (default: when an endpoint is given). */
  forcePathStyle: boolean;
  /** PEM of a CA to trust besides the system's (an S3-compatible store with a private CA). */
  ca?: string;
}

/** Parses `s3://bucket/prefix?region=..&endpoint=..` and the options. */
export function parseS3Target(def: VfsDefinition): S3Options {
  const { bucket, prefix, param: q, endpoint } = parseBucketTarget(
    def,
    "s3",
    "s3://bucket/prefix?region=..&endpoint=..",
  );
  const o = def.options ?? {};
  const pathStyle = q("forcePathStyle");
  return {
    bucket,
    prefix,
    region: q("region") || "us-east-1",
    endpoint,
    accessKeyId: o.accessKeyId || undefined,
    secretAccessKey: o.secretAccessKey || undefined,
    sessionToken: o.sessionToken || undefined,
    forcePathStyle: pathStyle ? pathStyle === "true" : endpoint !== undefined,
  };
}

interface SdkError {
  name?: string;
  Code?: string;
  code?: string;
  message?: string;
  errors?: unknown[];
  cause?: unknown;
  $fault?: string;
  $metadata?: { httpStatusCode?: number };
}

const NETWORK_CODES = new Set([
  "ECONNREFUSED",
  "ECONNRESET",
  "EPIPE",
  "ETIMEDOUT",
  "EHOSTUNREACH",
  "ENETUNREACH",
  "ECONNABORTED",
  "EAI_AGAIN",
  "ENOTFOUND",
]);

function networkCode(err: unknown, depth = 0): string | undefined {
  if (!err || typeof err !== "object" || depth > 4) return undefined;
  const e = err as SdkError;
  if (typeof e.code === "string" && NETWORK_CODES.has(e.code)) return e.code;
  for (const inner of e.errors ?? []) {
    const c = networkCode(inner, depth + 1);
    if (c) return c;
  }
  return networkCode(e.cause, depth + 1);
}

/** The `code` of a TLS error anywhere in an SDK error's causes. */
function tlsCode(err: unknown, depth = 0): string {
  if (!err || typeof err !== "object" || depth > 4) return "";
  const e = err as SdkError;
  if (typeof e.code === "string" && /CERT|SELF_SIGNED|UNABLE_TO_VERIFY/.test(e.code)) return e.code;
  return tlsCode(e.cause, depth + 1);
}

/** Maps an SDK, network or stream error to a {@linkcode VfsError}. */
export function mapS3Error(err: unknown, path?: string): VfsError {
  if (err instanceof VfsError) return err;
  const e = (err ?? {}) as SdkError;
  const where = path ? `: "${path}"` : "";
  const name = e.Code ?? e.name ?? "";
  const status = e.$metadata?.httpStatusCode;
  const msg = e.message || name || String(err);
  const opts = { cause: err, path };
  switch (name) {
    case "NoSuchKey":
    case "NotFound":
      return new VfsError("NOT_FOUND", `No such file or folder${where}`, opts);
    case "NoSuchBucket":
      return new VfsError("NOT_FOUND", `The bucket does not exist (${msg})`, opts);
    case "InvalidAccessKeyId":
    case "SignatureDoesNotMatch":
    case "InvalidToken":
    case "ExpiredToken":
    case "TokenRefreshRequired":
    case "AuthorizationHeaderMalformed":
    case "InvalidClientTokenId":
    case "CredentialsProviderError":
      return new VfsError(
        "AUTH_FAILED",
        `S3 refused the credentials (access key id or secret access key): ${msg}`,
        opts,
      );
    case "AccessDenied":
    case "AllAccessDisabled":
    case "Forbidden":
      return new VfsError("PERMISSION_DENIED", `Access denied by S3${where}: ${msg}`, opts);
    case "AbortError":
      return new VfsError("CANCELLED", `Cancelled${where}`, opts);
    case "RequestTimeout":
    case "TimeoutError":
    case "RequestTimeTooSkewed":
      return new VfsError("TIMEOUT", `S3 request timed out${where}: ${msg}`, opts);
    case "SlowDown":
    case "ServiceUnavailable":
    case "InternalError":
      return new VfsError("IO", `S3 is busy or failing${where}: ${msg}`, {
        ...opts,
        retryable: true,
      });
    case "NotImplemented":
      return new VfsError("NOT_SUPPORTED", `The S3 server does not support this${where}`, opts);
  }
  if (status === 404) return new VfsError("NOT_FOUND", `No such file or folder${where}`, opts);
  if (status === 401) {
    return new VfsError("AUTH_FAILED", `S3 refused the credentials: ${msg}`, opts);
  }
  if (status === 403) return new VfsError("PERMISSION_DENIED", `Access denied${where}`, opts);
  const net = networkCode(err);
  if (net === "ENOTFOUND") {
    return new VfsError("CONNECTION", `S3 host name not found: ${msg}`, {
      ...opts,
      retryable: false,
    });
  }
  if (net === "ETIMEDOUT") return new VfsError("TIMEOUT", `S3 connection timed out: ${msg}`, opts);
  if (/certificate|CERT_|SELF_SIGNED|UNABLE_TO_VERIFY|TLS|SSL/i.test(`${tlsCode(err)} ${msg}`)) {
    return new VfsError("CONNECTION", `TLS failed with the S3 server: ${msg}`, {
      ...opts,
      retryable: false,
    });
  }
  if (net || /socket hang up|network|connect|ECONNRESET|terminated|premature close/i.test(msg)) {
    return new VfsError("CONNECTION", `S3 connection failed${where}: ${msg}`, opts);
  }
  if (status !== undefined && status >= 500) {
    return new VfsError("IO", `S3 server error ${status}${where}: ${msg}`, {
      ...opts,
      retryable: true,
    });
  }
  return new VfsError("IO", `S3 error${where}: ${msg}`, opts);
}

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

function notFound(p: string, what = "file or folder"): VfsError {
  return new VfsError("NOT_FOUND", `No such ${what}: "${p}"`, { path: p });
}

interface Obj {
  key: string;
  size: number;
  modTime: Date;
}

/** An S3 bucket (or a prefix of one) as a file system. */
export class S3Vfs implements Vfs {
  readonly type = "s3";
  readonly features = FEATURES;
  readonly client: S3Client;
  readonly bucket: string;
  readonly prefix: string;

  constructor(client: S3Client, bucket: string, prefix = "") {
    this.client = client;
    this.bucket = bucket;
    this.prefix = prefix && !prefix.endsWith("/") ? prefix + "/" : prefix;
  }

  /** Builds the client from parsed options (does not contact the server). */
  static create(o: S3Options): S3Vfs {
    const config: S3ClientConfig = {
      region: o.region,
      forcePathStyle: o.forcePathStyle,
      maxAttempts: 3,
      // A dead host fails in seconds; a transfer fails once its socket is idle for 2 minutes.
      requestHandler: {
        connectionTimeout: 15_000,
        requestTimeout: 120_000,
        ...(o.ca ? { httpsAgent: { ca: [o.ca], keepAlive: true } } : {}),
      },
    };
    if (o.endpoint) {
      config.endpoint = o.endpoint;
      // S3-compatible servers rarely understand the newer flexible checksums (aws-chunked
      // trailers); send and check them only where the API requires them.
      config.requestChecksumCalculation = "WHEN_REQUIRED";
      config.responseChecksumValidation = "WHEN_REQUIRED";
    }
    if (o.accessKeyId || o.secretAccessKey) {
      config.credentials = {
        accessKeyId: o.accessKeyId ?? "",
        secretAccessKey: o.secretAccessKey ?? "",
        sessionToken: o.sessionToken,
      };
    }
    return new S3Vfs(new S3Client(config), o.bucket, o.prefix);
  }

  /** Checks that the bucket answers with these credentials (one cheap listing). */
  async connect(): Promise<void> {
    try {
      await this.client.send(
        new ListObjectsV2Command({
          Bucket: this.bucket,
          Prefix: this.prefix || undefined,
          MaxKeys: 1,
        }),
      );
    } catch (err) {
      throw bucketCheckError(mapS3Error(err), err, `S3 bucket "${this.bucket}"`);
    }
  }

  #key(p: string): string {
    return this.prefix + p.slice(1);
  }

  /** The prefix of a folder's contents (and its marker key). */
  #dirKey(p: string): string {
    return p === "/" ? this.prefix : this.#key(p) + "/";
  }

  async #head(p: string): Promise<FileInfo | undefined> {
    try {
      const r = await this.client.send(
        new HeadObjectCommand({ Bucket: this.bucket, Key: this.#key(p) }),
      );
      return objectInfo(p, r.ContentLength ?? 0, r.LastModified);
    } catch (err) {
      const e = mapS3Error(err, p);
      if (e.code === "NOT_FOUND" && !/bucket/i.test(e.message)) return undefined;
      throw e;
    }
  }

  /** Up to `max` keys under a prefix (no delimiter). */
  async #some(prefix: string, max: number): Promise<Obj[]> {
    const r = await this.client.send(
      new ListObjectsV2Command({ Bucket: this.bucket, Prefix: prefix || undefined, MaxKeys: max }),
    );
    return (r.Contents ?? []).map((c) => ({
      key: c.Key ?? "",
      size: c.Size ?? 0,
      modTime: c.LastModified ?? new Date(0),
    }));
  }

  /** Every key under a prefix, page by page. */
  async *#all(prefix: string): AsyncGenerator<Obj[]> {
    let token: string | undefined;
    do {
      const r: ListObjectsV2CommandOutput = await this.client.send(
        new ListObjectsV2Command({
          Bucket: this.bucket,
          Prefix: prefix || undefined,
          ContinuationToken: token,
        }),
      );
      yield (r.Contents ?? []).map((c) => ({
        key: c.Key ?? "",
        size: c.Size ?? 0,
        modTime: c.LastModified ?? new Date(0),
      }));
      token = r.IsTruncated ? r.NextContinuationToken : undefined;
    } while (token);
  }

  /** The folder at `p` when any key (its marker included) lives under it. */
  async #dir(p: string): Promise<FileInfo | undefined> {
    if (p === "/") return folderInfo("/");
    const first = (await this.#some(this.#dirKey(p), 1))[0];
    if (!first) return undefined;
    // The marker sorts first among the keys of its prefix: its time is the folder's.
    return folderInfo(p, first.key === this.#dirKey(p) ? first.modTime : undefined);
  }

  /** File or folder at `p`, or undefined. A file wins over a folder of the same name. */
  async #probe(p: string): Promise<FileInfo | undefined> {
    if (p === "/") return folderInfo("/");
    const [file, dir] = await Promise.allSettled([this.#head(p), this.#dir(p)]);
    if (file.status === "rejected") throw file.reason;
    if (file.value) return file.value;
    if (dir.status === "rejected") throw mapS3Error(dir.reason, p);
    return dir.value;
  }

  /** Throws unless `p` is an existing folder. */
  async #requireDir(p: string): Promise<void> {
    if (p === "/") return;
    if (await this.#dir(p)) return;
    if (await this.#head(p)) throw new VfsError("NOT_DIR", `Not a folder: "${p}"`, { path: p });
    throw notFound(p, "folder");
  }

  async #run<T>(p: string, fn: () => Promise<T>): Promise<T> {
    try {
      return await fn();
    } catch (err) {
      throw mapS3Error(err, p);
    }
  }

  async stat(path: string): Promise<FileInfo> {
    const p = normalizePath(path);
    return await this.#run(p, async () => {
      const info = await this.#probe(p);
      if (!info) throw notFound(p);
      return info;
    });
  }

  lstat(path: string): Promise<FileInfo> {
    return this.stat(path);
  }

  async list(path: string): Promise<FileInfo[]> {
    const p = normalizePath(path);
    return await this.#run(p, async () => {
      const prefix = this.#dirKey(p);
      const out: FileInfo[] = [];
      let any = false;
      let token: string | undefined;
      do {
        const r: ListObjectsV2CommandOutput = await this.client.send(
          new ListObjectsV2Command({
            Bucket: this.bucket,
            Prefix: prefix || undefined,
            Delimiter: "/",
            ContinuationToken: token,
          }),
        );
        for (const cp of r.CommonPrefixes ?? []) {
          any = true;
          const name = (cp.Prefix ?? "").slice(prefix.length, -1);
          if (name) out.push(folderInfo(p === "/" ? `/${name}` : `${p}/${name}`));
        }
        for (const c of r.Contents ?? []) {
          any = true;
          const name = (c.Key ?? "").slice(prefix.length);
          if (!name) continue; // the folder's own marker
          out.push(
            objectInfo(p === "/" ? `/${name}` : `${p}/${name}`, c.Size ?? 0, c.LastModified),
          );
        }
        token = r.IsTruncated ? r.NextContinuationToken : undefined;
      } while (token);
      if (!any && p !== "/") {
        if (await this.#head(p)) throw new VfsError("NOT_DIR", `Not a folder: "${p}"`, { path: p });
        throw notFound(p, "folder");
      }
      return out;
    });
  }

  async openRead(path: string, opts: ReadOptions = {}): Promise<ReadableStream<Uint8Array>> {
    const p = normalizePath(path);
    return await this.#run(p, async () => {
      if (p === "/") throw new VfsError("IS_DIR", `Is a folder: "/"`, { path: p });
      const offset = Math.max(0, opts.offset ?? 0);
      const length = opts.length;
      const missing = async () => {
        if (await this.#dir(p)) return new VfsError("IS_DIR", `Is a folder: "${p}"`, { path: p });
        return notFound(p, "file");
      };
      if (length !== undefined && length <= 0) {
        if (!(await this.#head(p))) throw await missing();
        return emptyStream();
      }
      const ranged = offset > 0 || length !== undefined;
      const range = ranged
        ? `bytes=${offset}-${length !== undefined ? offset + length - 1 : ""}`
        : undefined;
      let res;
      try {
        res = await this.client.send(
          new GetObjectCommand({ Bucket: this.bucket, Key: this.#key(p), Range: range }),
        );
      } catch (err) {
        const e = err as SdkError;
        if (
          e.name === "InvalidRange" || e.Code === "InvalidRange" ||
          e.$metadata?.httpStatusCode === 416
        ) {
          // Starting at or past the end: nothing to read, if the file is there.
          if (!(await this.#head(p))) throw await missing();
          return emptyStream();
        }
        const m = mapS3Error(err, p);
        if (m.code === "NOT_FOUND" && !/bucket/i.test(m.message)) throw await missing();
        throw m;
      }
      const body = res.Body as
        | { transformToWebStream?: () => ReadableStream<Uint8Array> }
        | undefined;
      if (!body?.transformToWebStream) return emptyStream();
      return guardStream(body.transformToWebStream(), (err) => mapS3Error(err, p));
    });
  }

  async openWrite(path: string, opts: WriteOptions = {}): Promise<WritableStream<Uint8Array>> {
    const p = normalizePath(path);
    return await this.#run(p, async () => {
      if (opts.append) {
        throw new VfsError("NOT_SUPPORTED", "S3 objects cannot be appended to", { path: p });
      }
      if (p === "/") throw new VfsError("IS_DIR", `Is a folder: "/"`, { path: p });
      const [, self] = await Promise.all([this.#requireDir(dirname(p)), this.#dir(p)]);
      if (self) throw new VfsError("IS_DIR", `Is a folder: "${p}"`, { path: p });

      const pipe = new TransformStream<Uint8Array, Uint8Array>();
      const inner = pipe.writable.getWriter();
      const upload = new Upload({
        client: this.client,
        params: { Bucket: this.bucket, Key: this.#key(p), Body: pipe.readable },
        partSize: PART_SIZE,
        queueSize: QUEUE_SIZE,
        leavePartsOnError: false,
      });
      let failure: unknown;
      const done = upload.done().then(() => {}, (err) => {
        failure ??= err;
        // Unblocks a writer waiting on back-pressure that nobody will relieve.
        inner.abort(err).catch(() => {});
        throw err;
      });
      done.catch(() => {});
      return new WritableStream<Uint8Array>({
        async write(chunk) {
          try {
            await inner.write(chunk);
          } catch (err) {
            throw mapS3Error(failure ?? err, p);
          }
        },
        async close() {
          await inner.close().catch(() => {});
          try {
            await done;
          } catch (err) {
            throw mapS3Error(err, p);
          }
        },
        async abort(reason) {
          failure ??= reason;
          await upload.abort().catch(() => {});
          await inner.abort(reason).catch(() => {});
          await done.catch(() => {});
        },
      });
    });
  }

  async #putMarker(p: string): Promise<void> {
    await this.client.send(
      new PutObjectCommand({
        Bucket: this.bucket,
        Key: this.#dirKey(p),
        Body: new Uint8Array(0),
        ContentLength: 0,
      }),
    );
  }

  async mkdir(path: string, opts: { recursive?: boolean } = {}): Promise<void> {
    const p = normalizePath(path);
    await this.#run(p, async () => {
      const exists = await this.#probe(p);
      if (exists) {
        if (exists.isDir && opts.recursive) return;
        throw new VfsError(
          exists.isDir || !opts.recursive ? "ALREADY_EXISTS" : "NOT_DIR",
          `Already exists: "${p}"`,
          { path: p },
        );
      }
      if (!opts.recursive) {
        await this.#requireDir(dirname(p));
        await this.#putMarker(p);
        return;
      }
      // Markers for the missing ancestors too, so each stays when a deeper one is removed.
      const missing = [p];
      for (let d = dirname(p); d !== "/"; d = dirname(d)) {
        const info = await this.#probe(d);
        if (info?.isDir) break;
        if (info) throw new VfsError("NOT_DIR", `Not a folder: "${d}"`, { path: d });
        missing.push(d);
      }
      await parallel(missing, PARALLEL, (d) => this.#putMarker(d));
    });
  }

  async #deleteKeys(keys: string[]): Promise<void> {
    for (let i = 0; i < keys.length; i += 1000) {
      const batch = keys.slice(i, i + 1000);
      const r = await this.client.send(
        new DeleteObjectsCommand({
          Bucket: this.bucket,
          Delete: { Objects: batch.map((Key) => ({ Key })), Quiet: true },
        }),
      );
      const failed = r.Errors?.[0];
      if (failed) {
        throw mapS3Error(
          { name: failed.Code, message: failed.Message },
          "/" + (failed.Key ?? "").slice(this.prefix.length),
        );
      }
    }
  }

  async remove(path: string, opts: { recursive?: boolean } = {}): Promise<void> {
    const p = normalizePath(path);
    await this.#run(p, async () => {
      if (p === "/") {
        throw new VfsError("PERMISSION_DENIED", "Cannot remove the root", { path: p });
      }
      if (await this.#head(p)) {
        await this.client.send(new DeleteObjectCommand({ Bucket: this.bucket, Key: this.#key(p) }));
        return;
      }
      const prefix = this.#dirKey(p);
      const first = await this.#some(prefix, 2);
      if (first.length === 0) throw notFound(p);
      if (!opts.recursive && first.some((o) => o.key !== prefix)) {
        throw new VfsError("NOT_EMPTY", `Folder is not empty: "${p}"`, { path: p });
      }
      for await (const page of this.#all(prefix)) {
        await this.#deleteKeys(page.map((o) => o.key));
      }
    });
  }

  /** Server-side copy of one object, part by part past CopyObject's 5 GiB limit. */
  async #copyKey(from: string, to: string, size: number): Promise<void> {
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

  async rename(from: string, to: string): Promise<void> {
    const a = normalizePath(from);
    const b = normalizePath(to);
    await this.#run(a, async () => {
      if (a === "/") throw new VfsError("PERMISSION_DENIED", "Cannot move the root", { path: a });
      const src = await this.#probe(a);
      if (!src) throw notFound(a);
      if (a === b) return;
      if (b === "/" || b.startsWith(a + "/")) {
        throw new VfsError("INVALID_PATH", `Cannot move "${a}" into itself`, { path: b });
      }
      await this.#requireDir(dirname(b));
      const dst = await this.#probe(b);
      if (!src.isDir) {
        if (dst?.isDir) throw new VfsError("IS_DIR", `Is a folder: "${b}"`, { path: b });
        await this.#copyKey(this.#key(a), this.#key(b), src.size);
        await this.client.send(new DeleteObjectCommand({ Bucket: this.bucket, Key: this.#key(a) }));
        return;
      }
      if (dst && !dst.isDir) throw new VfsError("NOT_DIR", `Not a folder: "${b}"`, { path: b });
      if (dst && (await this.#some(this.#dirKey(b), 2)).some((o) => o.key !== this.#dirKey(b))) {
        throw new VfsError("NOT_EMPTY", `Folder is not empty: "${b}"`, { path: b });
      }
      const fromPrefix = this.#dirKey(a);
      const toPrefix = this.#dirKey(b);
      // Copy everything first, then delete: a failure half-way leaves the source whole.
      const moved: string[] = [];
      for await (const page of this.#all(fromPrefix)) {
        await parallel(page, PARALLEL, async (o) => {
          await this.#copyKey(o.key, toPrefix + o.key.slice(fromPrefix.length), o.size);
        });
        moved.push(...page.map((o) => o.key));
      }
      await this.#deleteKeys(moved);
    });
  }

  async copy(from: string, to: string): Promise<void> {
    const a = normalizePath(from);
    const b = normalizePath(to);
    await this.#run(a, async () => {
      const src = await this.#probe(a);
      if (!src) throw notFound(a, "file");
      if (src.isDir) throw new VfsError("IS_DIR", `Is a folder: "${a}"`, { path: a });
      if (a === b) return;
      const [, dst] = await Promise.all([this.#requireDir(dirname(b)), this.#dir(b)]);
      if (dst) throw new VfsError("IS_DIR", `Is a folder: "${b}"`, { path: b });
      await this.#copyKey(this.#key(a), this.#key(b), src.size);
    });
  }

  close(): Promise<void> {
    this.client.destroy();
    return Promise.resolve();
  }
}

/** The `s3` factory: parses the definition and checks the bucket answers. */
export async function openS3(def: VfsDefinition, _ctx: VfsContext): Promise<Vfs> {
  const o = parseS3Target(def);
  if (def.options?.caFile) o.ca = await readCaFile(def.options.caFile);
  const vfs = S3Vfs.create(o);
  try {
    await vfs.connect();
  } catch (err) {
    await vfs.close();
    const url = o.endpoint ? new URL(o.endpoint) : undefined;
    if (url?.protocol !== "https:") throw err;
    throw await withCertificateReason(err, {
      host: url.hostname.replace(/^\[|\]$/g, ""),
      port: Number(url.port || 443),
      ca: o.ca,
    }, "S3 server");
  }
  return vfs;
}
