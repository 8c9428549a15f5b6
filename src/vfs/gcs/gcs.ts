/**
 * Google Cloud Storage backend over the official `@google-cloud/storage` client.
 *
 * Target `gcs://bucket/prefix`. Credentials: option `credentialsFile` (a service-account key
 * file), or `credentials` (the key file's JSON text, usually through `credentialsSecret`), else
 * Google's Application Default Credentials (`GOOGLE_APPLICATION_CREDENTIALS`, the metadata
 * server on GCP). Option `projectId` where the key does not name one; `endpoint` for a GCS-
 * compatible server (an emulator), reached without authentication; `concurrency` (default 1)
 * and `partSizeMiB` (default 8): with a concurrency of 2 or more, large downloads come in
 * parallel ranged parts, held to the object's CRC32C (an upload is one resumable stream);
 * `idleTimeoutSeconds` (default 300): a request not answered, a download that gives nothing,
 * an upload that takes nothing, for that long fails (`../object_store/idle_watch.ts`).
 *
 * Parallel parts are off by default because they could only be measured against the emulator,
 * which answers a ranged request slowly whatever its size (an 8 MiB range of a 256 MiB object
 * took it 1.2 to 2.2 s, the whole object 3.6 s): a 256 MiB download took 58 s in 8 MiB parts
 * against 2.9 to 3.9 s in one stream. What parts gain against real GCS has not been measured.
 *
 * Folders, stat, list, rename and the rest come from the object-store base
 * (`../object_store/`); `store.ts` is the bucket's side of it. GCS cannot set modification
 * times or permissions, nor append; no hash is offered (composite objects have no MD5), so
 * copies are verified by size.
 *
 * Tested against the Cloud Storage emulator of firebase-tools (tests/fixtures/gcs.ts): the
 * whole conformance suite, and reads and writes through its plain JSON API. The emulator takes
 * any request without credentials, so service-account sign-in has not met a real server.
 *
 * @module
 */

import {
  type Bucket,
  IdempotencyStrategy,
  Storage,
  type StorageOptions,
} from "@google-cloud/storage";
import { GoogleAuth, JWT } from "google-auth-library";
import {
  DEFAULT_TRANSFER,
  ObjectStoreVfs,
  parseBucketTarget,
  type TransferOptions,
  transferOptions,
} from "../object_store/mod.ts";
import { IDLE_TIMEOUT_MS, idleTimeoutOption } from "../idle_timeout.ts";
import { type Vfs, type VfsContext, type VfsDefinition, VfsError } from "../types.ts";
import { GcsStore } from "./store.ts";

export { mapGcsError } from "./_map_error.ts";

/** One stream per download unless `concurrency` asks for parts (see the module's note). */
export const GCS_TRANSFER: TransferOptions = { ...DEFAULT_TRANSFER, concurrency: 1 };

/** Connection settings parsed from a definition. */
export interface GcsOptions {
  bucket: string;
  /** Key prefix of the VFS root: `""` or ending with `/`. */
  prefix: string;
  projectId?: string;
  credentialsFile?: string;
  /** Parsed service-account key. */
  credentials?: Record<string, unknown>;
  endpoint?: string;
  /** Part size and parallel requests of large downloads (uploads are one resumable stream). */
  transfer: TransferOptions;
  /** Option `idleTimeoutSeconds` in ms (`../idle_timeout.ts`). */
  idleTimeoutMs: number;
}

/** Parses `gcs://bucket/prefix` and the options. */
export function parseGcsTarget(def: VfsDefinition): GcsOptions {
  const { bucket, prefix, param, endpoint } = parseBucketTarget(def, "gcs", "gcs://bucket/prefix");
  const o = def.options ?? {};
  let credentials: Record<string, unknown> | undefined;
  if (o.credentials) {
    try {
      credentials = JSON.parse(o.credentials);
    } catch {
      throw new VfsError(
        "AUTH_FAILED",
        `The GCS credentials of VFS "${def.name}" are not a service-account key (not JSON)`,
      );
    }
    if (
      typeof credentials?.client_email !== "string" || typeof credentials.private_key !== "string"
    ) {
      throw new VfsError(
        "AUTH_FAILED",
        `The GCS credentials of VFS "${def.name}" lack client_email or private_key`,
      );
    }
  }
  return {
    bucket,
    prefix,
    projectId: param("projectId") || (credentials?.project_id as string | undefined) || undefined,
    credentialsFile: o.credentialsFile || undefined,
    credentials,
    endpoint,
    transfer: transferOptions(o, GCS_TRANSFER),
    idleTimeoutMs: idleTimeoutOption(o.idleTimeoutSeconds),
  };
}

/** A GCS bucket (or a prefix of one) as a file system. */
export class GcsVfs extends ObjectStoreVfs {
  constructor(bucket: Bucket, prefix = "", transfer = GCS_TRANSFER, idleMs = IDLE_TIMEOUT_MS) {
    super("gcs", new GcsStore(bucket, idleMs), prefix, transfer);
  }

  /** Builds the client from parsed options (does not contact the server). */
  static create(o: GcsOptions): GcsVfs {
    // The library retries a request whose connection the server reset or closed before it
    // answered (ECONNRESET, "socket hang up"), and 408/429/5xx answers, after 1, 2 and 4 s
    // (its default of 3 retries), only where the request is idempotent. A request that gets no
    // answer at all (a refused connection) is retried by its request layer too: "Cannot reach
    // GCS" for a port nothing listens on came after about 16 s (measured). One retry was not
    // enough: under load the Cloud Storage emulator dropped two requests in a row right after a
    // 110 MiB upload (a stat failed with "socket hang up"), and real servers close idle
    // keep-alive connections the same way.
    //
    // `RetryAlways`: under the default `RetryConditional`, the library turns retries off for
    // a request it deems non-idempotent (a delete or an upload without preconditions) by
    // clearing `autoRetry` on the Storage object all requests share, and sets it back when
    // that request ends, to the value it saw when its File object was made. Two such requests
    // at once leave it cleared for good (four deletes in parallel did), after which no request
    // of the connection is retried: a stat right after a 110 MiB upload then failed on the
    // first dropped connection. Retrying every request is right for what aft sends: uploads
    // write the same bytes to the same name, copies the same source to the same name, and a
    // delete that finds the object gone already is taken as done (ObjectStoreVfs).
    const opts: StorageOptions = {
      projectId: o.projectId,
      retryOptions: { maxRetries: 3, idempotencyStrategy: IdempotencyStrategy.RetryAlways },
    };
    const scopes = ["https://www.googleapis.com/auth/devstorage.read_write"];
    if (o.credentials) {
      // A service-account key: a JWT client signing with its private key.
      opts.authClient = new JWT({
        email: o.credentials.client_email as string,
        key: o.credentials.private_key as string,
        keyId: o.credentials.private_key_id as string | undefined,
        scopes,
      }) as unknown as StorageOptions["authClient"];
    } else if (o.credentialsFile) {
      opts.authClient = new GoogleAuth({
        keyFilename: o.credentialsFile,
        projectId: o.projectId,
        scopes,
      }) as unknown as StorageOptions["authClient"];
    }
    if (o.endpoint) {
      opts.apiEndpoint = o.endpoint;
      // An emulator takes anonymous requests.
      if (!o.credentials && !o.credentialsFile) opts.token = "anonymous";
    }
    return new GcsVfs(new Storage(opts).bucket(o.bucket), o.prefix, o.transfer, o.idleTimeoutMs);
  }
}

/** The `gcs` factory: parses the definition and checks the bucket answers. */
export async function openGcs(def: VfsDefinition, _ctx: VfsContext): Promise<Vfs> {
  const o = parseGcsTarget(def);
  if (o.credentialsFile) {
    let text: string;
    try {
      text = await Deno.readTextFile(o.credentialsFile);
    } catch (err) {
      throw new VfsError(
        "AUTH_FAILED",
        `Cannot read the GCS key file "${o.credentialsFile}": ${(err as Error).message}`,
      );
    }
    try {
      JSON.parse(text);
    } catch {
      // JSON.parse's message quotes the text: the file's first bytes must not reach a log.
      throw new VfsError(
        "AUTH_FAILED",
        `The GCS key file "${o.credentialsFile}" is not a JSON service-account key file`,
      );
    }
  }
  const vfs = GcsVfs.create(o);
  await vfs.connect();
  return vfs;
}
