/**
 * Azure Blob Storage backend over `@azure/storage-blob`.
 *
 * Target `azure://account/container/prefix`; `?endpoint=` (or the option `endpoint`) points at
 * another blob endpoint, such as Azurite's `http://127.0.0.1:10000/devstoreaccount1`; the
 * default is `https://ACCOUNT.blob.core.windows.net`. Options `accountKey` (shared key) or
 * `sasToken`; `partSizeMiB` (default 8) and `concurrency` (default 4): the block size and
 * blocks in flight of uploads, and the parts of large downloads fetched at once.
 *
 * Folders, stat, list, rename and the rest come from the object-store base
 * (`../object_store/`); `store.ts` is the container's side of it. Times, permissions and
 * appends to block blobs are not offered, nor a hash (blobs uploaded in blocks carry no
 * whole-content MD5).
 *
 * @module
 */

import {
  BlobServiceClient,
  type ContainerClient,
  StorageSharedKeyCredential,
} from "@azure/storage-blob";
import {
  DEFAULT_TRANSFER,
  ObjectStoreVfs,
  parseBucketTarget,
  type TransferOptions,
  transferOptions,
} from "../object_store/mod.ts";
import { type Vfs, type VfsContext, type VfsDefinition, VfsError } from "../types.ts";
import { AzureStore } from "./store.ts";

export { mapAzureError } from "./_map_error.ts";

const USAGE = "azure://account/container/prefix";

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
  /** Part size and parallel requests of large uploads and downloads. */
  transfer: TransferOptions;
}

/** Parses `azure://account/container/prefix?endpoint=..` and the options. */
export function parseAzureTarget(def: VfsDefinition): AzureOptions {
  const { bucket: account, prefix: path, endpoint } = parseBucketTarget(def, "azure", USAGE);
  const [container, ...rest] = path.split("/").filter(Boolean);
  if (!container) {
    throw new VfsError("INVALID_PATH", `No container in "${def.target}" (${USAGE})`);
  }
  const o = def.options ?? {};
  const prefix = rest.join("/");
  return {
    account,
    container,
    prefix: prefix ? prefix + "/" : "",
    endpoint: (endpoint ?? `https://${account}.blob.core.windows.net`).replace(/\/+$/, ""),
    accountKey: o.accountKey || undefined,
    sasToken: o.sasToken || undefined,
    transfer: transferOptions(o),
  };
}

/** An Azure blob container (or a prefix of one) as a file system. */
export class AzureVfs extends ObjectStoreVfs {
  constructor(container: ContainerClient, prefix = "", transfer = DEFAULT_TRANSFER) {
    super("azure", new AzureStore(container, transfer), prefix, transfer);
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
    return new AzureVfs(service.getContainerClient(o.container), o.prefix, o.transfer);
  }
}

/** The `azure` factory: parses the definition and checks the container answers. */
export async function openAzure(def: VfsDefinition, _ctx: VfsContext): Promise<Vfs> {
  const vfs = AzureVfs.create(parseAzureTarget(def));
  await vfs.connect();
  return vfs;
}
