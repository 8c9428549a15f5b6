/**
 * Azure Blob Storage backend over `@azure/storage-blob`.
 *
 * Target `azure://account/container/prefix`; `?endpoint=` (or the option `endpoint`) points at
 * another blob endpoint, such as Azurite's `http://127.0.0.1:10000/devstoreaccount1`; the
 * default is `https://ACCOUNT.blob.core.windows.net`. Options `accountKey` (shared key) or
 * `sasToken`.
 *
 * As on S3, folders are blob-name prefixes: `mkdir` writes a zero-byte `dir/` marker blob so
 * that empty folders show in listings, and a folder exists while its marker or any blob under
 * it does. Writes are block blob uploads (`uploadStream`: 8 MiB blocks, 4 in flight, so memory
 * stays bounded) that become visible only when the block list is committed at the end; an
 * aborted write commits nothing. Reads stream (`download(offset, count)`). `rename` is a
 * server-side copy then delete (for a folder: every blob under its prefix). Times, permissions
 * and appends to block blobs are not offered, nor a hash (blobs uploaded in blocks carry no
 * whole-content MD5).
 *
 * @module
 */

import { Buffer } from "node:buffer";
import { PassThrough, Readable } from "node:stream";
import {
  BlobServiceClient,
  type BlockBlobClient,
  type ContainerClient,
  StorageSharedKeyCredential,
} from "@azure/storage-blob";
import {
  bucketCheckError,
  emptyStream,
  folderInfo,
  guardStream,
  OBJECT_STORE_FEATURES,
  objectInfo,
  parallel,
} from "../object_store.ts";
import { dirname, normalizePath } from "../path.ts";
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
/** Block size and blocks in flight of an upload: at most 4 × 8 MiB buffered (plus 1 MiB). */
const BLOCK_SIZE = 8 * MiB;
const CONCURRENCY = 4;
/** Requests run at once for folder renames and removals. */
const PARALLEL = 8;

/** Connection settings parsed from a definition. */
export interface AzureOptions {
  account: string;
  container: string;
  /** Blob-name prefix of the VFS root: `""` or ending with `/`. */
  prefix: string;
  /** Blob service URL (`https://ACCOUNT.blob.core.windows.net` by default). */
  endpoint: string;
  accountKey?: string;
  sasToken?: string;
}

/** Parses `azure://account/container/prefix?endpoint=..` and the options. */
export function parseAzureTarget(def: VfsDefinition): AzureOptions {
  let url: URL;
  try {
    url = new URL(def.target);
  } catch {
    throw new VfsError("INVALID_PATH", `Not an azure:// URL: "${def.target}"`);
  }
  if (url.protocol !== "azure:" || !url.hostname) {
    throw new VfsError(
      "INVALID_PATH",
      `Not an azure:// URL: "${def.target}" (azure://account/container/prefix)`,
    );
  }
  const o = def.options ?? {};
  let path: string;
  try {
    path = normalizePath(decodeURIComponent(url.pathname || "/"));
  } catch (err) {
    if (err instanceof VfsError) throw err;
    throw new VfsError("INVALID_PATH", `Bad path in "${def.target}"`, { cause: err });
  }
  const [container, ...rest] = path.slice(1).split("/");
  if (!container) {
    throw new VfsError(
      "INVALID_PATH",
      `No container in "${def.target}" (azure://account/container/prefix)`,
    );
  }
  const account = decodeURIComponent(url.hostname);
  const endpoint = (url.searchParams.get("endpoint") || o.endpoint ||
    `https://${account}.blob.core.windows.net`).replace(/\/+$/, "");
  try {
    new URL(endpoint);
  } catch {
    throw new VfsError("INVALID_PATH", `Bad endpoint URL: "${endpoint}"`);
  }
  const prefix = rest.join("/");
  return {
    account,
    container,
    prefix: prefix ? prefix + "/" : "",
    endpoint,
    accountKey: o.accountKey || undefined,
    sasToken: o.sasToken || undefined,
  };
}

interface RestErrorLike {
  name?: string;
  code?: string;
  statusCode?: number;
  message?: string;
  errors?: unknown[];
  cause?: unknown;
  details?: { errorCode?: string };
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
  const e = err as RestErrorLike;
  if (typeof e.code === "string" && NETWORK_CODES.has(e.code)) return e.code;
  for (const inner of e.errors ?? []) {
    const c = networkCode(inner, depth + 1);
    if (c) return c;
  }
  const m = /\b(E[A-Z_]{4,})\b/.exec(e.message ?? "");
  if (m && NETWORK_CODES.has(m[1]!)) return m[1];
  return networkCode(e.cause, depth + 1);
}

/** Maps an Azure SDK, network or stream error to a {@linkcode VfsError}. */
export function mapAzureError(err: unknown, path?: string): VfsError {
  if (err instanceof VfsError) return err;
  const e = (err ?? {}) as RestErrorLike;
  const where = path ? `: "${path}"` : "";
  const code = e.details?.errorCode ?? e.code ?? "";
  const status = e.statusCode;
  const msg = (e.message || code || String(err)).split("\n")[0]!;
  const opts = { cause: err, path };
  switch (code) {
    case "BlobNotFound":
      return new VfsError("NOT_FOUND", `No such file or folder${where}`, opts);
    case "ContainerNotFound":
      return new VfsError("NOT_FOUND", `The container does not exist (${msg})`, opts);
    case "AuthenticationFailed":
    case "AuthorizationFailure":
    case "InvalidAuthenticationInfo":
    case "NoAuthenticationInformation":
      return new VfsError(
        "AUTH_FAILED",
        `Azure refused the credentials (account name, account key or SAS token): ${msg}`,
        opts,
      );
    case "AuthorizationPermissionMismatch":
    case "AuthorizationResourceTypeMismatch":
    case "AuthorizationServiceMismatch":
    case "InsufficientAccountPermissions":
      return new VfsError("PERMISSION_DENIED", `Access denied by Azure${where}: ${msg}`, opts);
    case "OperationTimedOut":
      return new VfsError("TIMEOUT", `Azure request timed out${where}: ${msg}`, opts);
    case "ServerBusy":
    case "InternalError":
      return new VfsError("IO", `Azure is busy or failing${where}: ${msg}`, {
        ...opts,
        retryable: true,
      });
  }
  if (e.name === "AbortError") return new VfsError("CANCELLED", `Cancelled${where}`, opts);
  if (status === 404) return new VfsError("NOT_FOUND", `No such file or folder${where}`, opts);
  if (status === 401) {
    return new VfsError("AUTH_FAILED", `Azure refused the credentials: ${msg}`, opts);
  }
  if (status === 403) {
    return new VfsError("PERMISSION_DENIED", `Access denied by Azure${where}: ${msg}`, opts);
  }
  const net = networkCode(err);
  if (net === "ENOTFOUND") {
    return new VfsError("CONNECTION", `Azure host name not found: ${msg}`, {
      ...opts,
      retryable: false,
    });
  }
  if (net === "ETIMEDOUT") {
    return new VfsError("TIMEOUT", `Azure connection timed out: ${msg}`, opts);
  }
  if (net || code === "REQUEST_SEND_ERROR" || /socket hang up|premature close/i.test(msg)) {
    return new VfsError("CONNECTION", `Azure connection failed${where}: ${msg}`, opts);
  }
  if (status !== undefined && status >= 500) {
    return new VfsError("IO", `Azure server error ${status}${where}: ${msg}`, {
      ...opts,
      retryable: true,
    });
  }
  return new VfsError("IO", `Azure error${where}: ${msg}`, opts);
}

function notFound(p: string, what = "file or folder"): VfsError {
  return new VfsError("NOT_FOUND", `No such ${what}: "${p}"`, { path: p });
}

interface Blob {
  name: string;
  size: number;
  modTime: Date;
}

/** An Azure blob container (or a prefix of one) as a file system. */
export class AzureVfs implements Vfs {
  readonly type = "azure";
  readonly features = FEATURES;
  readonly container: ContainerClient;
  readonly prefix: string;

  constructor(container: ContainerClient, prefix = "") {
    this.container = container;
    this.prefix = prefix && !prefix.endsWith("/") ? prefix + "/" : prefix;
  }

  /** Builds the client from parsed options (does not contact the server). */
  static create(o: AzureOptions): AzureVfs {
    const pipeline = {
      retryOptions: { maxTries: 3, retryDelayInMs: 200, maxRetryDelayInMs: 2000 },
    };
    let service: BlobServiceClient;
    if (o.accountKey) {
      service = new BlobServiceClient(
        o.endpoint,
        new StorageSharedKeyCredential(o.account, o.accountKey),
        pipeline,
      );
    } else if (o.sasToken) {
      service = new BlobServiceClient(
        `${o.endpoint}?${o.sasToken.replace(/^\?/, "")}`,
        undefined,
        pipeline,
      );
    } else {
      service = new BlobServiceClient(o.endpoint, undefined, pipeline);
    }
    return new AzureVfs(service.getContainerClient(o.container), o.prefix);
  }

  /** Checks that the container answers with these credentials (one cheap listing). */
  async connect(): Promise<void> {
    try {
      await this.#some(this.prefix, 1);
    } catch (err) {
      throw bucketCheckError(
        mapAzureError(err),
        err,
        `Azure container "${this.container.containerName}"`,
      );
    }
  }

  #name(p: string): string {
    return this.prefix + p.slice(1);
  }

  /** The prefix of a folder's contents (and its marker's name). */
  #dirName(p: string): string {
    return p === "/" ? this.prefix : this.#name(p) + "/";
  }

  #blob(name: string): BlockBlobClient {
    return this.container.getBlockBlobClient(name);
  }

  async #head(p: string): Promise<FileInfo | undefined> {
    try {
      const r = await this.#blob(this.#name(p)).getProperties();
      return objectInfo(p, r.contentLength ?? 0, r.lastModified);
    } catch (err) {
      const e = mapAzureError(err, p);
      if (e.code === "NOT_FOUND" && !/container/i.test(e.message)) return undefined;
      throw e;
    }
  }

  /** Up to `max` blobs under a prefix (flat). */
  async #some(prefix: string, max: number): Promise<Blob[]> {
    const pages = this.container.listBlobsFlat({ prefix: prefix || undefined }).byPage({
      maxPageSize: max,
    });
    const first = await pages.next();
    if (first.done) return [];
    return first.value.segment.blobItems.map((b) => ({
      name: b.name,
      size: b.properties.contentLength ?? 0,
      modTime: b.properties.lastModified,
    }));
  }

  /** Every blob under a prefix, page by page. */
  async *#all(prefix: string): AsyncGenerator<Blob[]> {
    const pages = this.container.listBlobsFlat({ prefix: prefix || undefined }).byPage({
      maxPageSize: 5000,
    });
    for await (const page of pages) {
      yield page.segment.blobItems.map((b) => ({
        name: b.name,
        size: b.properties.contentLength ?? 0,
        modTime: b.properties.lastModified,
      }));
    }
  }

  /** The folder at `p` when any blob (its marker included) lives under it. */
  async #dir(p: string): Promise<FileInfo | undefined> {
    if (p === "/") return folderInfo("/");
    const first = (await this.#some(this.#dirName(p), 1))[0];
    if (!first) return undefined;
    // The marker sorts first among the blobs of its prefix: its time is the folder's.
    return folderInfo(p, first.name === this.#dirName(p) ? first.modTime : undefined);
  }

  /** File or folder at `p`, or undefined. A file wins over a folder of the same name. */
  async #probe(p: string): Promise<FileInfo | undefined> {
    if (p === "/") return folderInfo("/");
    const [file, dir] = await Promise.allSettled([this.#head(p), this.#dir(p)]);
    if (file.status === "rejected") throw file.reason;
    if (file.value) return file.value;
    if (dir.status === "rejected") throw mapAzureError(dir.reason, p);
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
      throw mapAzureError(err, p);
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
      const prefix = this.#dirName(p);
      const out: FileInfo[] = [];
      let any = false;
      const child = (name: string) => p === "/" ? `/${name}` : `${p}/${name}`;
      const pages = this.container.listBlobsByHierarchy("/", { prefix: prefix || undefined })
        .byPage({ maxPageSize: 5000 });
      for await (const page of pages) {
        for (const bp of page.segment.blobPrefixes ?? []) {
          any = true;
          const name = bp.name.slice(prefix.length, -1);
          if (name) out.push(folderInfo(child(name)));
        }
        for (const b of page.segment.blobItems) {
          any = true;
          const name = b.name.slice(prefix.length);
          if (!name) continue; // the folder's own marker
          out.push(
            objectInfo(child(name), b.properties.contentLength ?? 0, b.properties.lastModified),
          );
        }
      }
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
      let res;
      try {
        res = await this.#blob(this.#name(p)).download(offset, length);
      } catch (err) {
        const e = err as RestErrorLike;
        if (e.statusCode === 416 || e.code === "InvalidRange") {
          // Starting at or past the end: nothing to read, if the file is there.
          if (!(await this.#head(p))) throw await missing();
          return emptyStream();
        }
        const m = mapAzureError(err, p);
        if (m.code === "NOT_FOUND" && !/container/i.test(m.message)) throw await missing();
        throw m;
      }
      const body = res.readableStreamBody as Readable | undefined;
      if (!body) return emptyStream();
      return guardStream(
        Readable.toWeb(body) as ReadableStream<Uint8Array>,
        (err) => mapAzureError(err, p),
      );
    });
  }

  async openWrite(path: string, opts: WriteOptions = {}): Promise<WritableStream<Uint8Array>> {
    const p = normalizePath(path);
    return await this.#run(p, async () => {
      if (opts.append) {
        throw new VfsError("NOT_SUPPORTED", "Azure block blobs cannot be appended to", {
          path: p,
        });
      }
      if (p === "/") throw new VfsError("IS_DIR", `Is a folder: "/"`, { path: p });
      const [, self] = await Promise.all([this.#requireDir(dirname(p)), this.#dir(p)]);
      if (self) throw new VfsError("IS_DIR", `Is a folder: "${p}"`, { path: p });

      const pass = new PassThrough({ highWaterMark: MiB });
      let failure: unknown;
      let onFailure: (err: unknown) => void = () => {};
      const failed = new Promise<never>((_, reject) => onFailure = reject);
      failed.catch(() => {});
      // Blocks are staged as they fill; the blob appears only when the list is committed.
      const done = this.#blob(this.#name(p)).uploadStream(pass, BLOCK_SIZE, CONCURRENCY).then(
        () => {},
        (err) => {
          failure ??= err;
          onFailure(err);
          pass.destroy();
          throw err;
        },
      );
      done.catch(() => {});
      return new WritableStream<Uint8Array>({
        async write(chunk) {
          if (failure) throw mapAzureError(failure, p);
          const buf = Buffer.from(chunk.buffer, chunk.byteOffset, chunk.byteLength);
          if (!pass.write(buf)) {
            await Promise.race([new Promise((r) => pass.once("drain", r)), failed]).catch(
              (err) => {
                throw mapAzureError(err, p);
              },
            );
          }
        },
        async close() {
          pass.end();
          try {
            await done;
          } catch (err) {
            throw mapAzureError(err, p);
          }
        },
        async abort(reason) {
          failure ??= reason;
          // An error on the source stops the upload before its block list is committed.
          pass.destroy(reason instanceof Error ? reason : new Error(String(reason ?? "aborted")));
          await done.catch(() => {});
        },
      });
    });
  }

  async #putMarker(p: string): Promise<void> {
    await this.#blob(this.#dirName(p)).upload(new Uint8Array(0), 0);
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

  async #deleteBlobs(names: string[]): Promise<void> {
    await parallel(names, PARALLEL, async (name) => {
      try {
        await this.container.deleteBlob(name);
      } catch (err) {
        const e = mapAzureError(err, "/" + name.slice(this.prefix.length));
        if (e.code !== "NOT_FOUND") throw e; // gone already is what was asked
      }
    });
  }

  async remove(path: string, opts: { recursive?: boolean } = {}): Promise<void> {
    const p = normalizePath(path);
    await this.#run(p, async () => {
      if (p === "/") {
        throw new VfsError("PERMISSION_DENIED", "Cannot remove the root", { path: p });
      }
      if (await this.#head(p)) {
        await this.#blob(this.#name(p)).delete();
        return;
      }
      const prefix = this.#dirName(p);
      const first = await this.#some(prefix, 2);
      if (first.length === 0) throw notFound(p);
      if (!opts.recursive && first.some((b) => b.name !== prefix)) {
        throw new VfsError("NOT_EMPTY", `Folder is not empty: "${p}"`, { path: p });
      }
      for await (const page of this.#all(prefix)) {
        await this.#deleteBlobs(page.map((b) => b.name));
      }
    });
  }

  /** Server-side copy of one blob (Copy Blob: any size, within the account). */
  async #copyBlob(from: string, to: string): Promise<void> {
    const poller = await this.#blob(to).beginCopyFromURL(this.#blob(from).url, {
      intervalInMs: 500,
    });
    const r = await poller.pollUntilDone();
    if (r.copyStatus && r.copyStatus !== "success") {
      throw new VfsError("IO", `Azure copy of "${from}" ended as ${r.copyStatus}`);
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
        await this.#copyBlob(this.#name(a), this.#name(b));
        await this.#blob(this.#name(a)).delete();
        return;
      }
      if (dst && !dst.isDir) throw new VfsError("NOT_DIR", `Not a folder: "${b}"`, { path: b });
      const toPrefix = this.#dirName(b);
      if (dst && (await this.#some(toPrefix, 2)).some((o) => o.name !== toPrefix)) {
        throw new VfsError("NOT_EMPTY", `Folder is not empty: "${b}"`, { path: b });
      }
      const fromPrefix = this.#dirName(a);
      // Copy everything first, then delete: a failure half-way leaves the source whole.
      const moved: string[] = [];
      for await (const page of this.#all(fromPrefix)) {
        await parallel(page, PARALLEL, async (o) => {
          await this.#copyBlob(o.name, toPrefix + o.name.slice(fromPrefix.length));
        });
        moved.push(...page.map((o) => o.name));
      }
      await this.#deleteBlobs(moved);
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
      await this.#copyBlob(this.#name(a), this.#name(b));
    });
  }

  close(): Promise<void> {
    return Promise.resolve();
  }
}

/** The `azure` factory: parses the definition and checks the container answers. */
export async function openAzure(def: VfsDefinition, _ctx: VfsContext): Promise<Vfs> {
  const vfs = AzureVfs.create(parseAzureTarget(def));
  await vfs.connect();
  return vfs;
}
