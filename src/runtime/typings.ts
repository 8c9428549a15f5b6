/**
 * `aft.d.ts`: the declarations of every script global, for editors. `aft types` writes it; a
 * `.syncjs` file that starts with `// @ts-check` and `/// <reference path="./aft.d.ts" />` is
 * then completed and checked. A test compares it with the prelude, the spec and the docs, so
 * the three cannot drift apart.
 *
 * @module
 */

/** The text of `aft.d.ts`. */
export const AFT_DTS = `// aft.d.ts: the globals of aft scripts (.syncjs). Written by \`aft types\`.
// Use it in a script with:
//   // @ts-check
//   /// <reference path="./aft.d.ts" />

// ---- The job ------------------------------------------------------------------------------

/** The job's parameter \`name\` as a string; "" when absent. */
declare function Params(name: string): string;
/** Same as {@link Params}. */
declare function Param(name: string): string;
/** The value of the secret \`name\` (case-sensitive); "" when there is none. Never logged. */
declare function GetSecret(name: string): string;
/** Ends the script at once with exit code \`code\` (default 0; non-zero = the job failed). */
declare function Exit(code?: number): never;
/** Blocks for \`ms\` milliseconds; returns false early when the job is halted. */
declare function Sleep(ms: number): boolean;
/** Blocks until the job is halted; watcher callbacks run while it waits. */
declare function WaitForHaltSignal(): void;
/** True once a halt was requested. */
declare const HaltSignalReceived: boolean;
/** The running job's ID. */
declare function JobID(): string;
/** The running script's name. */
declare function ScriptName(): string;

// ---- Logging ------------------------------------------------------------------------------

interface AftLog {
  /** An info-level line. */
  (...parts: unknown[]): void;
  Info(...parts: unknown[]): void;
  Warn(...parts: unknown[]): void;
  Error(...parts: unknown[]): void;
  Debug(...parts: unknown[]): void;
}
/** Writes lines to the job's log: \`Log("x")\`, \`Log.Info\`, \`Log.Warn\`, \`Log.Error\`, \`Log.Debug\`. */
declare const Log: AftLog;

// ---- Results ------------------------------------------------------------------------------

/** File information (SyncJS field names). */
interface FileInfo {
  Name: string;
  Path: string;
  Size: number;
  /** ISO-8601 time. */
  ModTime: string;
  IsDir: boolean;
  Mode: number;
}

/** What every fallible call returns. */
interface Result {
  /** True when the operation succeeded. */
  Ok(): boolean;
  /** Why it failed; "" on success. */
  ErrorMsg(): string;
  /** Stat / Lstat. */
  Info(): FileInfo | null;
  /** ReadDir / ListFiles / ListFilesR. */
  Infos(): FileInfo[];
  /** TreeSize. */
  Size(): number;
  /** ReadFileAsText. */
  Text(): string;
  /** ReadFileAsBytes: the bytes; CopyToVFS / MoveToVFS: the number of bytes copied. */
  Bytes(): Uint8Array | number;
  /** CopyToVFS / MoveToVFS / Zip / Unzip: files done. */
  Files(): number;
  /** CopyToVFS / MoveToVFS: files left alone by the overwrite policy. */
  Skipped(): number;
  /** CopyToVFS / MoveToVFS: one message per file that failed. */
  Errors(): string[];
}

// ---- Virtual file systems -----------------------------------------------------------------

declare const VfsTypeDisk: "disk";
declare const VfsTypeSFTP: "sftp";
declare const VfsTypeFTP: "ftp";
declare const VfsTypeFTPS: "ftps";
declare const VfsTypeS3: "s3";
declare const VfsTypeAzure: "azure";
declare const VfsTypeGCS: "gcs";
declare const VfsTypeMemory: "memory";

declare const NeverOverwrite: 0;
declare const AlwaysOverwrite: 1;
declare const OverwriteIfDiffSize: 2;
declare const OverwriteIfNewer: 3;
declare const SortByName: 0;
declare const SortByNameDirsFirst: 1;
declare const SortBySize: 2;
declare const SortByTime: 3;
declare const SortAsc: 0;
declare const SortDesc: 1;
declare const FromStart: 0;
declare const FromCurrent: 1;
declare const FromEnd: 2;

type OverwritePolicy = 0 | 1 | 2 | 3;

/** Options of CopyToVFS / MoveToVFS. */
interface CopyOptions {
  /** After a file fails, start no further files (default false: try every file). */
  stopOnError?: boolean;
  /** Default NeverOverwrite. */
  overwrite?: OverwritePolicy;
  /** Compare a hash after the copy where both ends can give one (size is always checked). */
  verify?: boolean;
  /** Give each copy its source's modification time. */
  preserveTime?: boolean;
  /** Files copied at once (default: the transferConcurrency setting). */
  concurrency?: number;
}

/** A VFS Library entry or an ephemeral VFS. Paths are POSIX-style, rooted at its root. */
declare class VirtualFS {
  /** An ephemeral VFS, e.g. \`new VirtualFS(VfsTypeDisk, "/data/in")\`. */
  constructor(type: string, target: string, payloadJson?: string);
  /** Copies a file, a tree or a glob into \`dstDir\` on \`dst\`, streaming, each file atomically. */
  CopyToVFS(srcPath: string, dst: VirtualFS, dstDir: string, opts?: CopyOptions): Result;
  /** As CopyToVFS, then removes each source file once its copy is complete. */
  MoveToVFS(srcPath: string, dst: VirtualFS, dstDir: string, opts?: CopyOptions): Result;
  Stat(path: string): Result;
  Lstat(path: string): Result;
  ReadDir(path: string, sortBy?: number, sortDir?: number): Result;
  Mkdir(path: string): Result;
  MkdirAll(path: string): Result;
  Rmdir(path: string): Result;
  Remove(path: string): Result;
  RemoveAll(path: string): Result;
  Rename(from: string, to: string): Result;
  TreeSize(path: string): Result;
  Chtimes(path: string, atime: Date | string, mtime: Date | string): Result;
  Chmod(path: string, mode: number): Result;
  Truncate(path: string, size: number): Result;
  ReadFileAsText(path: string, length?: number, offset?: number, whence?: number): Result;
  ReadFileAsBytes(path: string, length?: number, offset?: number, whence?: number): Result;
  WriteFileAsText(path: string, text: string): Result;
  WriteFileAsBytes(path: string, bytes: Uint8Array): Result;
  /** Copies a file from the host's local disk onto this VFS. */
  ImportFile(localPath: string, vfsPath: string): Result;
  /** Copies a file from this VFS onto the host's local disk. */
  ExportFile(vfsPath: string, localPath: string): Result;
  ListFiles(dir: string, mask?: string): Result;
  ListFilesR(dir: string, mask?: string): Result;
}
/** The VFS Library entry \`name\` (case-insensitive). Throws when there is none. */
declare function VirtualFSByName(name: string): VirtualFS;
/** The names of every entry in the VFS Library, sorted. */
declare function VirtualFSNames(): string[];

// ---- v3 client objects --------------------------------------------------------------------

declare const LIST_ALL: 0;
declare const LIST_FILES: 1;
declare const LIST_DIRS: 2;
declare const TLS_MODE_NONE: 0;
declare const TLS_MODE_EXPLICIT: 1;
declare const TLS_MODE_IMPLICIT: 2;

interface ClientOptions {
  StopOnTransferError: boolean;
  UploadPolicy: OverwritePolicy;
  DownloadPolicy: OverwritePolicy;
  UploadWithTempName: boolean;
  DownloadWithTempName: boolean;
  DeleteSourceAfterUpload: boolean;
  DeleteSourceAfterDownload: boolean;
  AdjustTimeOnUpload: boolean;
  AdjustTimeOnDownload: boolean;
}

/** Members shared by the v3 clients (a type only); actions return booleans and set LastError. */
interface RemoteClient {
  Options: ClientOptions;
  /** The last failure's message. */
  LastError: string;
  Connect(): boolean;
  Close(): void;
  ListDir(dir: string, mode?: number): FileInfo[];
  ListDirR(dir: string, mode?: number): FileInfo[];
  ListFiles(dir: string, mask?: string): FileInfo[];
  ListFilesR(dir: string, mask?: string): FileInfo[];
  Stat(path: string): FileInfo | null;
  MakeDir(path: string): boolean;
  DelDir(path: string): boolean;
  DelTree(path: string): boolean;
  DelFile(path: string): boolean;
  RenFile(from: string, to: string): boolean;
  RenDir(from: string, to: string): boolean;
  Upload(localGlob: string, remoteDir: string): boolean;
  Download(remoteGlob: string, localDir: string): boolean;
}
interface SftpClient extends RemoteClient {}
declare class SftpClient {
  /** "host:port". */
  Host: string;
  User: string;
  Pass: string;
  PassFromSecret: string;
  KeyFile: string;
  KeyFilePass: string;
  KeyFilePassFromSecret: string;
  HostKeySHA256: string;
}
interface FtpsClient extends RemoteClient {}
declare class FtpsClient {
  Host: string;
  User: string;
  Pass: string;
  PassFromSecret: string;
  TLSMode: number;
  TLSInsecure: boolean;
}
interface S3Client extends RemoteClient {}
declare class S3Client {
  Region: string;
  Bucket: string;
  Endpoint: string;
  APIKeyID: string;
  APIKeyIDFromSecret: string;
  APIKeySecret: string;
  APIKeySecretFromSecret: string;
}
interface AzureClient extends RemoteClient {}
declare class AzureClient {
  Container: string;
  AccountName: string;
  AccountKey: string;
  AccountKeyFromSecret: string;
  Endpoint: string;
}
interface GCSClient extends RemoteClient {}
declare class GCSClient {
  Bucket: string;
  CredentialsFile: string;
  CredentialsFromSecret: string;
}

// ---- Watchers -----------------------------------------------------------------------------

declare const EVT_CREATE: 1;
declare const EVT_WRITE: 2;
declare const EVT_REMOVE: 4;
declare const EVT_RENAME: 8;
declare const EVT_CHMOD: 16;

interface WatchEvent {
  /** ISO-8601 time the event was reported. */
  TimeStamp: string;
  /** One of the EVT_* constants. */
  Event: number;
  /** Full path of the file. */
  Object: string;
}

/** Members shared by FsWatcher and RemoteWatcher (a type only). */
interface Watcher {
  /** A file is reported only after it has been quiet this long (default 1). */
  DelayBySeconds: number;
  /** Glob masks a file's name must match (a mask with "/" matches the relative path). */
  InclusionFilter: string[];
  /** Glob masks that exclude a file. */
  ExclusionFilter: string[];
  WatchDir(path: string, recursive?: boolean): void;
  /** Starts watching; without a callback nothing happens (returns false). */
  Start(callback?: (evt: WatchEvent) => void): boolean;
  /** Stops; once it returns no callback fires any more. */
  Stop(): void;
}
/** Watches local folders; callbacks run inside WaitForHaltSignal(). */
interface FsWatcher extends Watcher {}
declare class FsWatcher {
  constructor();
}
/** Watches a VFS Library entry by polling its listings; remembers what it saw across restarts. */
interface RemoteWatcher extends Watcher {}
declare class RemoteWatcher {
  constructor(vfsName: string);
  /** Seconds between listings (default 30). */
  PollIntervalSeconds: number;
}

// ---- HTTP ---------------------------------------------------------------------------------

interface HttpResponse {
  /** Transport succeeded and the status is 2xx. */
  Ok(): boolean;
  /** Transport succeeded (any status). */
  IsValid(): boolean;
  StatusCode(): number;
  BodyAsString(): string;
  Header(name: string): string;
  ErrorMsg(): string;
}
interface HttpCli {
  Url(url: string): HttpCli;
  Header(name: string, value: string): HttpCli;
  Bearer(token: string): HttpCli;
  BasicAuth(user: string, pass: string): HttpCli;
  Timeout(seconds: number): HttpCli;
  ReqBody(body: string | Uint8Array | null): HttpCli;
  Get(): HttpResponse;
  Head(): HttpResponse;
  Delete(): HttpResponse;
  Post(body?: string | Uint8Array | null): HttpResponse;
  Put(body?: string | Uint8Array | null): HttpResponse;
  Patch(body?: string | Uint8Array | null): HttpResponse;
  Do(verb: string, body?: string | Uint8Array | null): HttpResponse;
}
/** A fluent HTTP request builder: \`HttpCli().Url(u).Bearer(t).Post(json)\`. */
declare const HttpCli: { (): HttpCli; new (): HttpCli };

// ---- Mail, archives, encryption -----------------------------------------------------------

/** Sends a mail through the smtp.* settings; \`to\` may be comma-separated. */
declare function SendMail(
  from: string,
  to: string,
  subject: string,
  body: string,
  attachmentPaths?: string[],
): Result;
/** Zips a folder, a file or a glob (\`/out/*.csv\`) on the local disk into \`zipPath\`. */
declare function Zip(sourceGlobOrDir: string, zipPath: string): Result;
/** Extracts \`zipPath\` into \`destDir\`; entries that would land outside it are refused. */
declare function Unzip(zipPath: string, destDir: string): Result;
/** Encrypts a local file for an armored OpenPGP public key. */
declare function PGPEncryptFile(inPath: string, outPath: string, publicKeyArmored: string): Result;
/** Decrypts a local OpenPGP file with an armored private key and its passphrase. */
declare function PGPDecryptFile(
  inPath: string,
  outPath: string,
  privateKeyArmored: string,
  passphrase?: string,
): Result;

// ---- Local disk, paths, time --------------------------------------------------------------

declare function FileExists(path: string): boolean;
declare function DirExists(path: string): boolean;
/** The file's text; "" when it cannot be read. */
declare function ReadTextFile(path: string): string;
declare function WriteTextFile(path: string, text: string): Result;
declare function CopyFile(from: string, to: string): Result;
declare function MoveFile(from: string, to: string): Result;
declare function DelFile(path: string): Result;
declare function MakeDir(path: string): Result;
declare function ListLocal(dir: string, mask?: string): FileInfo[];
declare function ExtractFileName(path: string): string;
/** The extension with its dot (".csv"); "" when there is none. */
declare function ExtractFileExt(path: string): string;
declare function ExtractFilePath(path: string): string;
declare function JoinPath(...parts: string[]): string;
/** Now, as an ISO-8601 string. */
declare function Timestamp(): string;
/** Formats a date with Go's reference layout ("2006-01-02 15:04:05") or tokens (YYYY-MM-DD HH:mm:ss). */
declare function FormatDateTime(date: Date | string | number, layout: string): string;
`;
