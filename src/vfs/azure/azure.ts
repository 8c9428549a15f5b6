/**
 * Azure Blob Storage backend over `@azure/storage-blob`.
 *
 * Target `azure://account/container/prefix`; `?endpoint=` (or the option `endpoint`) points at
 * another blob endpoint, such as Azurite's `http://127.0.0.1:10000/devstoreaccount1`; the
 * default is `https://ACCOUNT.blob.core.windows.net`. Options `accountKey` (shared key) or
 * `sasToken`; `partSizeMiB` (default 8) and `concurrency` (default 4): the block size and
 * blocks in flight of uploads, and the parts of large downloads fetched at once;
 * `idleTimeoutSeconds` (default 300): a request whose connection is idle that long fails, in
 * each of its three tries (`../idle_agent.ts`).
 *
 * Folders, stat, list, rename and the rest come from the object-store base
 * (`../object_store/`); `store.ts` is the container's side of it. Times, permissions and
 * appends to block blobs are not offered, nor a hash (blobs uploaded in blocks carry no
 * whole-content MD5).
 *
 * @module
 */

import {
  AnonymousCredential,
  BlobServiceClient,
  type ContainerClient,
  newPipeline,
  type RequestPolicyFactory,
  StorageSharedKeyCredential,
} from "@azure/storage-blob";
import { type IdleAgents, idleAgents } from "../idle_agent.ts";
import { idleTimeoutOption } from "../idle_timeout.ts";
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
  /** Option `idleTimeoutSeconds` in ms (`../idle_timeout.ts`). */
  idleTimeoutMs: number;
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
    idleTimeoutMs: idleTimeoutOption(o.idleTimeoutSeconds),
  };
}

/**
 * A pipeline step that sends every request over `agents` (the SDK's own pools have no idle
 * limit: a server that took the connection and answered nothing held a stat for ever).
 */
function overAgents(agents: IdleAgents): RequestPolicyFactory {
  return {
    create: (next) => ({
      sendRequest(req) {
        req.agent = agents.for(req.url);
        return next.sendRequest(req);
      },
    }),
  };
}

/** An Azure blob container (or a prefix of one) as a file system. */
export class AzureVfs extends ObjectStoreVfs {
  readonly #agents: IdleAgents | undefined;

  constructor(
    container: ContainerClient,
    prefix = "",
    transfer = DEFAULT_TRANSFER,
    agents?: IdleAgents,
  ) {
    super("azure", new AzureStore(container, transfer, agents), prefix, transfer);
    this.#agents = agents;
  }

  /** Builds the client from parsed options (does not contact the server). */
  static create(o: AzureOptions): AzureVfs {
    const credential = o.accountKey
      ? new StorageSharedKeyCredential(o.account, o.accountKey)
      : new AnonymousCredential();
    const pipeline = newPipeline(credential, {
      retryOptions: { maxTries: 3, retryDelayInMs: 200, maxRetryDelayInMs: 2000 },
    });
    // Each of the three tries of a request fails once its connection is idle that long.
    const agents = idleAgents(o.idleTimeoutMs);
    pipeline.factories.push(overAgents(agents));
    const url = !o.accountKey && o.sasToken
      ? `${o.endpoint}?${o.sasToken.replace(/^\?/, "")}`
      : o.endpoint;
    const service = new BlobServiceClient(url, pipeline);
    return new AzureVfs(service.getContainerClient(o.container), o.prefix, o.transfer, agents);
  }

  override async close(): Promise<void> {
    await super.close();
    this.#agents?.destroy();
  }
}

/** The `azure` factory: parses the definition and checks the container answers. */
export async function openAzure(def: VfsDefinition, _ctx: VfsContext): Promise<Vfs> {
  const vfs = AzureVfs.create(parseAzureTarget(def));
  await vfs.connect();
  return vfs;
}
