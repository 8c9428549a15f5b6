/**
 * The VFS contract every backend implements, and the typed error it throws.
 *
 * Paths are POSIX-style and absolute (`/a/b.csv`), relative to the backend's configured root;
 * a backend never lets a path reach above its root (see `normalizePath` in `path.ts`).
 *
 * @module
 */

/** One entry of a listing or the result of a stat. */
export interface FileInfo {
  /** Base name (`b.csv`); `""` for the root. */
  name: string;
  /** Full VFS path (`/a/b.csv`). */
  path: string;
  /** Size in bytes; 0 for directories. */
  size: number;
  /** Last modification time. */
  modTime: Date;
  isDir: boolean;
  /** POSIX permission bits where the backend knows them, else 0. */
  mode: number;
  /** True for a symbolic link (only from `lstat`). */
  isSymlink?: boolean;
}

/** What a backend can do beyond the core contract; the conformance suite skips by these. */
export interface VfsFeatures {
  /** `setTimes` is implemented. */
  setTimes: boolean;
  /** `chmod` is implemented. */
  chmod: boolean;
  /** `truncate` is implemented. */
  truncate: boolean;
  /** `copy` (server-side copy) is implemented. */
  serverSideCopy: boolean;
  /** Directories exist on their own (false for object stores, where they are prefixes). */
  realDirs: boolean;
  /** `lstat` can tell symbolic links apart. */
  symlinks: boolean;
  /** Hash algorithms `hash()` can give without reading the file through the client. */
  hashes: readonly HashAlgorithm[];
  /** `openRead` honours `offset` (resumable downloads). */
  rangedRead: boolean;
  /** `openWrite` honours `append` (resumable uploads). */
  append: boolean;
  /**
   * `openWrite` stores a file whole or not at all: until its stream closes, readers see what
   * was there before, and a failed or aborted stream leaves it so (an object store's upload
   * appears only once complete). With {@linkcode WriteOptions.size}, a stream that delivered
   * another number of bytes fails at close and stores nothing. The copy engine then writes in
   * place, with no temporary name to rename (which costs a whole server-side copy on an
   * object store). Absent: false.
   */
  atomicWrite?: boolean;
  /**
   * Calls made at once cost little more than one at a time: they share one connection (SFTP's
   * requests on one channel) or need none (local disk, memory). The copy engine then moves more
   * small files at once (`SMALL_FILES_FACTOR` in `copy.ts`). Absent: false (a backend that opens
   * a connection per transfer, as FTP does, or whose server limits them).
   */
  multiplexed?: boolean;
}

export type HashAlgorithm = "md5" | "sha1" | "sha256";

export interface ReadOptions {
  /** Byte offset to start at (default 0). */
  offset?: number;
  /** Bytes to read at most (default: to the end). */
  length?: number;
}

export interface WriteOptions {
  /** Append to an existing file instead of truncating it. */
  append?: boolean;
  /**
   * Called when the stream has closed, with the file's size as the backend saw it stored (SFTP
   * sends an `fstat` with its close). The copy engine then needs no `stat` of its own for the
   * size check: one round trip less per file. Backends that cannot tell simply never call it.
   */
  onStored?: (size: number) => void;
  /**
   * The number of bytes the caller will write. A backend with `features.atomicWrite` stores
   * nothing when another number arrived (its close fails with VERIFY_FAILED); others ignore it.
   */
  size?: number;
  /**
   * The caller checks, before it writes a byte, that the parent folder exists and that nothing
   * but possibly a file is at the path (the copy engine, from the folder it makes and the
   * listing it takes): a backend whose own check costs round trips (the object stores) may
   * skip it.
   */
  targetChecked?: boolean;
}

/**
 * A virtual file system. All methods reject with {@linkcode VfsError} on failure.
 *
 * @example
 * ```ts
 * const info = await vfs.stat("/in/report.csv");
 * const stream = await vfs.openRead(info.path);
 * ```
 */
export interface Vfs {
  /** Backend type name (`memory`, `disk`, `sftp`, ...). */
  readonly type: string;
  readonly features: VfsFeatures;
  /**
   * Where the backend can tell: a text that is the same for two paths (of this VFS or another
   * of its type) that are the same file, undefined when the file does not exist. The copy
   * engine asks it so that a file is never copied or moved onto itself.
   */
  fileIdentity?(path: string): Promise<string | undefined>;
  /** Follows symbolic links. NOT_FOUND when missing. */
  stat(path: string): Promise<FileInfo>;
  /** Does not follow symbolic links (same as `stat` where the backend has none). */
  lstat(path: string): Promise<FileInfo>;
  /** Entries of a directory, unsorted. NOT_FOUND / NOT_DIR. */
  list(path: string): Promise<FileInfo[]>;
  /** A stream of the file's bytes. NOT_FOUND / IS_DIR. */
  openRead(path: string, opts?: ReadOptions): Promise<ReadableStream<Uint8Array>>;
  /**
   * A stream that writes the file, creating or truncating it (or appending). The parent
   * directory must exist (NOT_FOUND otherwise). The write is complete when `close()` of the
   * writer resolves; `abort()` leaves whatever was written (callers use temp names).
   */
  openWrite(path: string, opts?: WriteOptions): Promise<WritableStream<Uint8Array>>;
  /**
   * Reads a whole file of at most `maxBytes` in one call, without a stream: its bytes, or
   * undefined when it holds more. NOT_FOUND / IS_DIR. For small files, where a stream's own
   * work costs more than the bytes.
   */
  readWhole?(path: string, maxBytes: number): Promise<Uint8Array | undefined>;
  /**
   * Writes a file (created or truncated, the parent must exist) from one buffer, without a
   * stream; resolves once it is complete, with the size the backend reports for it then.
   * A failure leaves whatever was written (callers use temp names).
   */
  writeWhole?(path: string, data: Uint8Array): Promise<number>;
  /**
   * How many files this VFS may have open at once, where its server says so (SFTP's
   * `limits@openssh.com`: max-open-handles, once connected); undefined where it does not. The
   * copy engine keeps the files it has open below it.
   */
  openLimit?(): number | undefined;
  /** Creates a directory; with `recursive`, parents too and no error if it exists. */
  mkdir(path: string, opts?: { recursive?: boolean }): Promise<void>;
  /**
   * Removes a file or an empty directory; with `recursive`, a whole tree. NOT_FOUND when
   * missing; NOT_EMPTY for a non-empty directory without `recursive`.
   */
  remove(path: string, opts?: { recursive?: boolean }): Promise<void>;
  /** Renames a file or directory; an existing file at `to` is replaced. */
  rename(from: string, to: string): Promise<void>;
  setTimes?(path: string, atime: Date, mtime: Date): Promise<void>;
  chmod?(path: string, mode: number): Promise<void>;
  truncate?(path: string, size: number): Promise<void>;
  /**
   * Server-side copy of one file (no bytes through the client). `signal` ends it where the
   * backend can stop it, removing what it wrote of `to`.
   */
  copy?(from: string, to: string, opts?: { signal?: AbortSignal }): Promise<void>;
  /** Hex digest of a file, for an algorithm listed in `features.hashes`. */
  hash?(path: string, algorithm: HashAlgorithm): Promise<string>;
  /**
   * The operating-system path of a file on this machine's own file system, checked against the
   * VFS root as any other call is (`forWrite`: the parent must exist and be inside the root).
   * Two VFSs that both have it are copied between by the kernel (`copy_file_range`, clone on
   * APFS/Btrfs), as `cp` does, instead of through the client.
   */
  localPath?(path: string, forWrite?: boolean): Promise<string>;
  /** Releases connections. The VFS may not be used afterwards. */
  close(): Promise<void>;
}

/** Stable error codes; the API, CLI and script runtime translate them in one place each. */
export type VfsErrorCode =
  | "NOT_FOUND"
  | "ALREADY_EXISTS"
  | "NOT_DIR"
  | "IS_DIR"
  | "NOT_EMPTY"
  | "PERMISSION_DENIED"
  | "NOT_SUPPORTED"
  | "INVALID_PATH"
  | "AUTH_FAILED"
  | "HOST_KEY_MISMATCH"
  | "CONNECTION"
  | "TIMEOUT"
  | "VERIFY_FAILED"
  | "CANCELLED"
  | "IO";

/**
 * A VFS failure with a stable `code`. `retryable` marks transient failures (dropped
 * connection, timeout) that the copy engine may retry.
 */
export class VfsError extends Error {
  override name = "VfsError";
  readonly code: VfsErrorCode;
  readonly retryable: boolean;
  readonly path?: string;

  constructor(
    code: VfsErrorCode,
    message: string,
    options: { cause?: unknown; retryable?: boolean; path?: string } = {},
  ) {
    super(message, { cause: options.cause });
    this.code = code;
    this.retryable = options.retryable ?? (code === "CONNECTION" || code === "TIMEOUT");
    this.path = options.path;
  }
}

/** True when `err` is a {@linkcode VfsError}, optionally with the given code. */
export function isVfsError(err: unknown, code?: VfsErrorCode): err is VfsError {
  return err instanceof VfsError && (code === undefined || err.code === code);
}

/** The backend types the VFS Library knows. */
export type VfsType = "memory" | "disk" | "sftp" | "ftp" | "ftps" | "s3" | "azure" | "gcs";

/** A VFS Library entry or an ephemeral `new VirtualFS(...)`, with credentials in clear. */
export interface VfsDefinition {
  name: string;
  type: VfsType;
  /** Local folder for `disk`; a URL (`sftp://user@host:22/base`) for network types. */
  target: string;
  /** Backend options (`pass`, `keyFile`, `passSecret`, `region`, ...). */
  options: Record<string, string>;
}

/** What a backend factory may use besides the definition. */
export interface VfsContext {
  /** Plain value of a named secret, for `...Secret` options; undefined when missing. */
  getSecret(name: string): Promise<string | undefined>;
  /**
   * Local folders outside which a `disk` VFS may not be rooted (Settings `localRoots`);
   * empty = no limit.
   */
  localRoots: readonly string[];
  /**
   * Where given, an SFTP connection without a pinned host key calls it with the key's
   * `SHA256:...` fingerprint, so the entry is pinned from then on (trust on first use).
   */
  recordHostKey?(fingerprint: string): Promise<void>;
}

/**
 * A VFS's own root reported as missing says which folder on which server, not `"/"`: the
 * error a user sees when the target URL names a folder that does not exist.
 */
export function rootMissing(err: unknown, base: string, server: string): unknown {
  if (!isVfsError(err, "NOT_FOUND") || (err.path !== undefined && err.path !== "/")) return err;
  return new VfsError(
    "NOT_FOUND",
    `The folder "${base}" does not exist on ${server} (the path in the VFS target must name an existing folder)`,
    { cause: err, path: "/" },
  );
}
