/**
 * S3 backend over the AWS SDK v3 (`@aws-sdk/client-s3`, multipart uploads with
 * `multipart.ts`), for Amazon S3 and S3-compatible servers.
 *
 * Target `s3://bucket/prefix?region=eu-west-1&endpoint=http://127.0.0.1:9000`; `region` and
 * `endpoint` may also be given as options. With an `endpoint` (an S3-compatible server) the
 * client uses path-style addressing and sends checksums only where the API requires them, which
 * is what most S3-compatible servers understand. Options `accessKeyId`, `secretAccessKey`
 * (and `sessionToken`); without them the SDK's default credential chain applies (environment,
 * profile, instance role). Large objects move in parts: `partSizeMiB` (default 8) and
 * `concurrency` (parts in flight, default 4; 1 reads in one request). `idleTimeoutSeconds`
 * (default 300): a request whose connection is idle that long fails (each of the SDK's three
 * attempts).
 *
 * Folders, stat, list, rename and the rest come from the object-store base
 * (`../object_store/`); `store.ts` is the bucket's side of it. S3 cannot set modification times,
 * permissions or append, and its ETag is not a plain MD5 for multipart objects, so no hash is
 * offered.
 *
 * @module
 */

import { S3Client, type S3ClientConfig } from "@aws-sdk/client-s3";
import {
  DEFAULT_TRANSFER,
  ObjectStoreVfs,
  parseBucketTarget,
  type TransferOptions,
  transferOptions,
} from "../object_store/mod.ts";
import { readCaFile, withCertificateReason } from "../tls_reason.ts";
import { idleTimeoutOption } from "../idle_timeout.ts";
import type { Vfs, VfsContext, VfsDefinition } from "../types.ts";
import { S3Store } from "./store.ts";

export { mapS3Error } from "./_map_error.ts";

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
  /** Part size and parallel requests of large uploads and downloads. */
  transfer: TransferOptions;
  /** Option `idleTimeoutSeconds` in ms (`../idle_timeout.ts`). */
  idleTimeoutMs: number;
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
    transfer: transferOptions(o),
    idleTimeoutMs: idleTimeoutOption(o.idleTimeoutSeconds),
  };
}

/** An S3 bucket (or a prefix of one) as a file system. */
export class S3Vfs extends ObjectStoreVfs {
  constructor(
    client: S3Client,
    bucket: string,
    prefix = "",
    transfer: TransferOptions = DEFAULT_TRANSFER,
  ) {
    super("s3", new S3Store(client, bucket, transfer), prefix, transfer);
  }

  /** Builds the client from parsed options (does not contact the server). */
  static create(o: S3Options): S3Vfs {
    const config: S3ClientConfig = {
      region: o.region,
      forcePathStyle: o.forcePathStyle,
      maxAttempts: 3,
      // No `Expect: 100-continue` on bodies of 2 MiB and more (the SDK's default): the SDK
      // sends such requests on a new agent of its own, without keep-alive and without our
      // `ca`. Every part opened a new connection (TCP and TLS handshakes and TCP's slow start
      // per 8 MiB part, then a round trip for the "100 Continue" before the body: a 256 MiB
      // copy from disk to s3rver opened 37 connections, now 4), and over HTTPS with a private
      // CA (`caFile`) every upload of 2 MiB or more failed its certificate check. What the
      // header saves, a body sent to a server that refuses the request, costs at most the
      // parts in flight; the integrity checks (the signed SHA-256 of each part, the size) are
      // the same either way.
      expectContinueHeader: false,
      // A dead host fails in seconds; a request once its socket is idle for idleTimeoutSeconds.
      // Not `requestTimeout`, which was here (2 minutes) and which this SDK's handler only
      // logs a warning for: a server that took the connection and answered nothing held the
      // request for ever (seen: still waiting after 200 s, with the warning at 120 s).
      requestHandler: {
        connectionTimeout: 15_000,
        socketTimeout: o.idleTimeoutMs,
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
    return new S3Vfs(new S3Client(config), o.bucket, o.prefix, o.transfer);
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
