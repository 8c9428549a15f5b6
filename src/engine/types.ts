/**
 * What the engine's parts share inside `engine/`: `EngineCore` (the store, secrets, the VFS
 * Library, the event bus, settings), used by the operations, the job queue and job execution.
 * It holds the store, which nothing outside `engine/` reaches; the surface that the CLI, the
 * REST API and schedules call is `Engine` in `surface.ts`.
 *
 * @module
 */

import type { JobRecord, LogLine, SecretRecord, Store } from "../store/types.ts";
import type { TransferProgress } from "../vfs/progress.ts";
import type { VfsDefinition } from "../vfs/types.ts";
import type { Settings } from "./settings.ts";

/** A job status change or log line, fanned out to API streams, the UI and `aft run`. */
export type EngineEvent =
  | { type: "log"; line: LogLine }
  | { type: "job"; job: JobRecord }
  | ({ type: "progress"; jobId: string } & TransferProgress);

export interface EventBus {
  emit(event: EngineEvent): void;
  /** Returns an unsubscribe function. */
  on(listener: (event: EngineEvent) => void): () => void;
}

export interface Secrets {
  /** Plain value, or undefined when no secret has that name (names are case-sensitive). */
  get(name: string): Promise<string | undefined>;
  set(name: string, value: string): Promise<SecretRecord>;
  /** Metadata only: never values. */
  list(): Promise<Omit<SecretRecord, "valueEnc">[]>;
  remove(name: string): Promise<boolean>;
  /** Encrypts with the master key (AES-256-GCM), for other encrypted columns. */
  encrypt(plain: string): Promise<string>;
  decrypt(cipher: string): Promise<string>;
}

export interface VfsLibrary {
  /** The entry with decrypted options, by name (case-insensitive); undefined when missing. */
  get(name: string): Promise<VfsDefinition | undefined>;
  list(): Promise<{ id: string; name: string; type: string; target: string; createdAt: string }[]>;
  /** Validates type and target; options are encrypted at rest. */
  add(def: VfsDefinition): Promise<{ id: string; name: string }>;
  /** Replaces the entry `name` with `def` (same ID; renamed when the name differs). */
  update(name: string, def: VfsDefinition): Promise<{ id: string; name: string }>;
  remove(name: string): Promise<boolean>;
  /**
   * Records an SSH host key fingerprint on an entry that has none (trust on first use);
   * returns false when the entry is missing or already pinned.
   */
  pinHostKey(name: string, fingerprint: string): Promise<boolean>;
}

/** What the engine's parts share inside `engine/` (job execution, queue, operations). */
export interface EngineCore {
  /** Absolute path of the data directory. */
  readonly dataDir: string;
  /** This node's name (see `node_id.ts`). */
  readonly node: string;
  readonly store: Store;
  readonly secrets: Secrets;
  readonly vfs: VfsLibrary;
  readonly bus: EventBus;
  /**
   * Current settings. Another process may change them, so a read is reused for at most a
   * second; `fresh` reads the store now.
   */
  settings(fresh?: boolean): Promise<Settings>;
  close(): Promise<void>;
}
