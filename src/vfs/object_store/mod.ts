/**
 * The object-store base: a file system over S3, Azure Blob or GCS written once, over the small
 * {@linkcode ObjectStore} surface each backend gives.
 *
 * @example
 * ```ts
 * const vfs = new ObjectStoreVfs("s3", new S3Store(client, "reports"), "in/");
 * await vfs.connect();
 * ```
 * @module
 */

export * from "./errors.ts";
export * from "./store.ts";
export * from "./streams.ts";
export * from "./target.ts";
export * from "./vfs.ts";
export * from "./ranged.ts";
export * from "./idle_watch.ts";
