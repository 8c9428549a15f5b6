/**
 * One Azure Blob container as the object-store surface, over `@azure/storage-blob`: blob
 * properties, flat and hierarchical listings, ranged downloads (answers marked with the blob's
 * size, so that large reads come in parallel parts: `../object_store/ranged.ts`), block blob
 * uploads (`uploadStream`: blocks of the part size, as many in flight as the concurrency, 8 MiB
 * and 4 by default, so memory stays bounded; the blob becomes visible only when the block list
 * is committed at the end, and an aborted write commits nothing), and Copy Blob (any size,
 * within the account).
 *
 * @module
 */

import { Buffer } from "node:buffer";
import { PassThrough, type Readable } from "node:stream";
import type { BlockBlobClient, ContainerClient } from "@azure/storage-blob";
import {
  DEFAULT_TRANSFER,
  emptyStream,
  fromNodeStream,
  markSize,
  type TransferOptions,
} from "../object_store/mod.ts";
import type { ListRequest, ObjectSink, ObjectStore } from "../object_store/mod.ts";
import { VfsError } from "../types.ts";
import { type IdleAgents, idleError } from "../idle_agent.ts";
import { mapAzureError } from "./_map_error.ts";

const MiB = 1024 * 1024;
/** Blobs per listing page unless asked for fewer (the service's largest page). */
const PAGE = 5000;

/**
 * The whole blob's size from a download's answer: the total of its Content-Range
 * (`bytes 0-99/1000`), else its length when the whole blob was asked for.
 */
export function blobSize(
  contentRange: string | undefined,
  contentLength: number | undefined,
  offset: number,
  length: number | undefined,
): number | undefined {
  const total = contentRange === undefined ? undefined : /\/(\d+)\s*$/.exec(contentRange)?.[1];
  if (total !== undefined) return Number(total);
  return offset === 0 && length === undefined && contentLength !== undefined
    ? contentLength
    : undefined;
}

/** An Azure blob container as an {@linkcode ObjectStore}. */
export class AzureStore implements ObjectStore {
  readonly objects = "Azure block blobs";

  /**
   * `transfer`: the block size and blocks in flight of an upload (at most their product
   * buffered, plus 1 MiB), and the part size of parallel reads.
   */
  constructor(
    readonly container: ContainerClient,
    readonly transfer: TransferOptions = DEFAULT_TRANSFER,
    readonly agents?: IdleAgents,
  ) {}

  get label(): string {
    return `Azure container "${this.container.containerName}"`;
  }

  #blob(name: string): BlockBlobClient {
    return this.container.getBlockBlobClient(name);
  }

  async head(key: string) {
    const r = await this.#blob(key).getProperties();
    return { key, size: r.contentLength ?? 0, modTime: r.lastModified };
  }

  async list(req: ListRequest) {
    const opts = { prefix: req.prefix || undefined };
    const paging = { maxPageSize: req.max ?? PAGE, continuationToken: req.token };
    const pages = req.delimited
      ? this.container.listBlobsByHierarchy("/", opts).byPage(paging)
      : this.container.listBlobsFlat(opts).byPage(paging);
    const first = await pages.next();
    if (first.done) return { objects: [], prefixes: [] };
    const page = first.value;
    const segment = page.segment as {
      blobItems: { name: string; properties: { contentLength?: number; lastModified: Date } }[];
      blobPrefixes?: { name: string }[];
    };
    return {
      objects: segment.blobItems.map((b) => ({
        key: b.name,
        size: b.properties.contentLength ?? 0,
        modTime: b.properties.lastModified,
      })),
      prefixes: (segment.blobPrefixes ?? []).map((bp) => bp.name),
      next: page.continuationToken || undefined,
    };
  }

  async read(
    key: string,
    { offset, length }: { offset: number; length?: number },
  ): Promise<ReadableStream<Uint8Array>> {
    const idleBefore = this.agents?.closedIdle;
    const res = await this.#blob(key).download(offset, length);
    const body = res.readableStreamBody as Readable | undefined;
    if (!body) return emptyStream();
    const stream = fromNodeStream(body, (err) => this.#lost(err, idleBefore));
    const total = blobSize(res.contentRange, res.contentLength, offset, length);
    return total === undefined ? stream : markSize(stream, total);
  }

  /**
   * The SDK ends a download's body with "The operation was aborted" (an AbortError, which
   * means a cancel) for any connection lost under it, aft's idle limit included, and aft
   * never aborts a download it still reads: said as what it was.
   */
  #lost(err: unknown, idleBefore: number | undefined): unknown {
    if ((err as { name?: unknown })?.name !== "AbortError") return err;
    if (this.agents && idleBefore !== undefined && this.agents.closedIdle > idleBefore) {
      return idleError(this.agents.ms);
    }
    return Object.assign(new Error("The connection was lost while the blob was read"), {
      code: "ECONNRESET",
      cause: err,
    });
  }

  openWrite(key: string): Promise<ObjectSink> {
    const pass = new PassThrough({ highWaterMark: MiB });
    let failure: unknown;
    let onFailure: (err: unknown) => void = () => {};
    const failed = new Promise<never>((_, reject) => onFailure = reject);
    failed.catch(() => {});
    // Blocks are staged as they fill; the blob appears only when the list is committed.
    const { partSize, concurrency } = this.transfer;
    const done = this.#blob(key).uploadStream(pass, partSize, concurrency).then(
      () => {},
      (err) => {
        failure ??= err;
        onFailure(err);
        pass.destroy();
        throw err;
      },
    );
    done.catch(() => {});
    return Promise.resolve({
      async write(chunk) {
        if (failure) throw failure;
        const buf = Buffer.from(chunk.buffer, chunk.byteOffset, chunk.byteLength);
        if (!pass.write(buf)) {
          await Promise.race([new Promise((r) => pass.once("drain", r)), failed]);
        }
      },
      async close() {
        pass.end();
        await done;
      },
      async abort(reason) {
        failure ??= reason;
        // An error on the source stops the upload before its block list is committed.
        pass.destroy(reason instanceof Error ? reason : new Error(String(reason ?? "aborted")));
        await done.catch(() => {});
      },
    });
  }

  async put(key: string, data: Uint8Array): Promise<void> {
    await this.#blob(key).upload(data, data.length);
  }

  async delete(key: string): Promise<void> {
    await this.container.deleteBlob(key);
  }

  async copy(from: string, to: string): Promise<void> {
    const poller = await this.#blob(to).beginCopyFromURL(this.#blob(from).url, {
      intervalInMs: 500,
    });
    const r = await poller.pollUntilDone();
    if (r.copyStatus && r.copyStatus !== "success") {
      throw new VfsError("IO", `Azure copy of "${from}" ended as ${r.copyStatus}`);
    }
  }

  /** A missing blob, not a missing container. */
  isMissing(err: unknown): boolean {
    const e = mapAzureError(err);
    return e.code === "NOT_FOUND" && !/container/i.test(e.message);
  }

  isPastEnd(err: unknown): boolean {
    const e = err as { statusCode?: number; code?: string };
    return e?.statusCode === 416 || e?.code === "InvalidRange";
  }

  mapError(err: unknown, path?: string): VfsError {
    return mapAzureError(err, path);
  }
}
