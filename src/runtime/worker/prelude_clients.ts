/**
 * The AFT! v3 client objects: `SftpClient`, `FtpsClient`, `S3Client`, `AzureClient`,
 * `GCSClient`. Each is a thin shell over a `VirtualFS` of the matching type rooted at the
 * server's `/`, so a connected client and a VirtualFS share one backend implementation (and one
 * copy engine: uploads and downloads are CopyToVFS/MoveToVFS with a local-disk VirtualFS).
 *
 * v3 conventions kept: fields set before `Connect()`, which returns a boolean; listings return
 * arrays; actions return booleans; `LastError` holds the last failure's message.
 * Files are always written under a temporary name and renamed into place, so
 * `UploadWithTempName`/`DownloadWithTempName` are accepted and always in effect.
 *
 * @module
 */

import type { Bridge } from "./host_bridge.ts";

export const CLIENT_CONSTANTS = {
  LIST_ALL: 0,
  LIST_FILES: 1,
  LIST_DIRS: 2,
  TLS_MODE_NONE: 0,
  TLS_MODE_EXPLICIT: 1,
  TLS_MODE_IMPLICIT: 2,
} as const;

interface Info {
  Name: string;
  Path: string;
  Size: number;
  ModTime: string;
  IsDir: boolean;
}

interface ResultLike {
  Ok(): boolean;
  ErrorMsg(): string;
  Info(): Info | null;
  Infos(): Info[];
}

type VfsMethod = (...args: unknown[]) => ResultLike;

interface VirtualFSLike {
  Stat: VfsMethod;
  ReadDir: VfsMethod;
  ListFiles: VfsMethod;
  ListFilesR: VfsMethod;
  MkdirAll: VfsMethod;
  Rmdir: VfsMethod;
  RemoveAll: VfsMethod;
  Remove: VfsMethod;
  Rename: VfsMethod;
  CopyToVFS: VfsMethod;
  MoveToVFS: VfsMethod;
}

type VirtualFSCtor = new (type: string, target: string, payload?: string) => VirtualFSLike;

interface ClientState {
  vfs?: VirtualFSLike;
  LastError: string;
  Options: Record<string, unknown>;
}

function defaultOptions(): Record<string, unknown> {
  return {
    StopOnTransferError: false,
    UploadPolicy: 0,
    DownloadPolicy: 0,
    UploadWithTempName: true,
    DownloadWithTempName: true,
    DeleteSourceAfterUpload: false,
    DeleteSourceAfterDownload: false,
    AdjustTimeOnUpload: false,
    AdjustTimeOnDownload: false,
  };
}

/** What each client type turns its fields into: a VFS type, target and options. */
type Describe = (
  c: Record<string, unknown>,
) => { type: string; target: string; options: Record<string, string> };

const str = (v: unknown) => (v === undefined || v === null ? "" : String(v));

/** Options from a plain field or its `...FromSecret` twin (the secret is read by the host). */
function cred(
  c: Record<string, unknown>,
  field: string,
  option: string,
  out: Record<string, string>,
) {
  if (str(c[field + "FromSecret"])) out[option + "Secret"] = str(c[field + "FromSecret"]);
  else if (str(c[field])) out[option] = str(c[field]);
}

const KINDS: Record<string, { fields: Record<string, unknown>; describe: Describe }> = {
  SftpClient: {
    fields: {
      Host: "",
      User: "",
      Pass: "",
      PassFromSecret: "",
      KeyFile: "",
      KeyFilePass: "",
      KeyFilePassFromSecret: "",
      HostKeySHA256: "",
    },
    describe(c) {
      const options: Record<string, string> = {};
      cred(c, "Pass", "pass", options);
      cred(c, "KeyFilePass", "keyPassphrase", options);
      if (str(c.KeyFile)) options.keyFile = str(c.KeyFile);
      if (str(c.HostKeySHA256)) options.hostKeySHA256 = str(c.HostKeySHA256);
      return {
        type: "sftp",
        target: `sftp://${encodeURIComponent(str(c.User))}@${str(c.Host)}/`,
        options,
      };
    },
  },
  FtpsClient: {
    fields: {
      Host: "",
      User: "",
      Pass: "",
      PassFromSecret: "",
      TLSMode: CLIENT_CONSTANTS.TLS_MODE_EXPLICIT,
      TLSInsecure: false,
    },
    describe(c) {
      const options: Record<string, string> = {};
      cred(c, "Pass", "pass", options);
      const mode = Number(c.TLSMode);
      if (mode === CLIENT_CONSTANTS.TLS_MODE_IMPLICIT) options.tls = "implicit";
      if (c.TLSInsecure === true) options.tlsInsecure = "true";
      const scheme = mode === CLIENT_CONSTANTS.TLS_MODE_NONE ? "ftp" : "ftps";
      return {
        type: scheme,
        target: `${scheme}://${encodeURIComponent(str(c.User))}@${str(c.Host)}/`,
        options,
      };
    },
  },
  S3Client: {
    fields: {
      Region: "",
      Bucket: "",
      Endpoint: "",
      APIKeyID: "",
      APIKeyIDFromSecret: "",
      APIKeySecret: "",
      APIKeySecretFromSecret: "",
    },
    describe(c) {
      const options: Record<string, string> = {};
      cred(c, "APIKeyID", "accessKeyId", options);
      cred(c, "APIKeySecret", "secretAccessKey", options);
      const q = new URLSearchParams();
      if (str(c.Region)) q.set("region", str(c.Region));
      if (str(c.Endpoint)) q.set("endpoint", str(c.Endpoint));
      return { type: "s3", target: `s3://${str(c.Bucket)}/?${q}`, options };
    },
  },
  AzureClient: {
    fields: {
      Container: "",
      AccountName: "",
      AccountKey: "",
      AccountKeyFromSecret: "",
      Endpoint: "",
    },
    describe(c) {
      const options: Record<string, string> = {};
      cred(c, "AccountKey", "accountKey", options);
      const q = str(c.Endpoint) ? `?endpoint=${encodeURIComponent(str(c.Endpoint))}` : "";
      return {
        type: "azure",
        target: `azure://${str(c.AccountName)}/${str(c.Container)}/${q}`,
        options,
      };
    },
  },
  GCSClient: {
    fields: { Bucket: "", CredentialsFile: "", CredentialsFromSecret: "" },
    describe(c) {
      const options: Record<string, string> = {};
      if (str(c.CredentialsFile)) options.credentialsFile = str(c.CredentialsFile);
      // The key file's JSON text kept as a secret, instead of a file on the host.
      cred(c, "Credentials", "credentials", options);
      return { type: "gcs", target: `gcs://${str(c.Bucket)}/`, options };
    },
  },
};

function splitLocal(pathOrGlob: string): { dir: string; pattern: string } {
  const p = pathOrGlob.replace(/\\/g, "/");
  const i = p.lastIndexOf("/");
  const last = p.slice(i + 1);
  if (/[*?[]/.test(last)) return { dir: i <= 0 ? "/" : p.slice(0, i), pattern: "/" + last };
  return { dir: i <= 0 ? "/" : p.slice(0, i), pattern: "/" + last };
}

/** Installs the client classes and their constants. */
export function installClients(bridge: Bridge, VirtualFS: VirtualFSCtor): void {
  for (const [name, value] of Object.entries(CLIENT_CONSTANTS)) bridge.define(name, value);

  for (const [kind, spec] of Object.entries(KINDS)) {
    const state = new WeakMap<object, ClientState>();
    const st = (self: object): ClientState => {
      const s = state.get(self);
      if (!s) throw new bridge.TypeError(`this is not a ${kind}`);
      return s;
    };
    const remote = (self: object): VirtualFSLike => {
      const s = st(self);
      if (!s.vfs) throw new bridge.Error(`${kind}: call Connect() first`);
      return s.vfs;
    };
    const fail = (self: object, r: ResultLike): boolean => {
      if (r.Ok()) return true;
      (self as Record<string, unknown>).LastError = r.ErrorMsg();
      return false;
    };

    const Client = function (this: Record<string, unknown>) {
      if (!new.target) throw new bridge.TypeError(`${kind} must be called with new`);
      Object.assign(this, spec.fields, { LastError: "", Options: defaultOptions() });
      state.set(this, { LastError: "", Options: this.Options as Record<string, unknown> });
    };
    const proto = Client.prototype as Record<string, unknown>;
    proto.Connect = function (this: Record<string, unknown>) {
      const s = st(this);
      const d = spec.describe(this);
      try {
        s.vfs = new VirtualFS(d.type, d.target, JSON.stringify(d.options));
      } catch (err) {
        this.LastError = String((err as Error).message ?? err);
        return false;
      }
      const r = s.vfs.Stat("/");
      if (!fail(this, r)) {
        s.vfs = undefined;
        return false;
      }
      this.LastError = "";
      return true;
    };
    proto.Close = function (this: object) {
      st(this).vfs = undefined; // the host closes connections when the job ends
    };
    const listing = (self: object, r: ResultLike, mode: unknown): Info[] => {
      if (!fail(self, r)) return [];
      const m = Number(mode ?? 0);
      return r.Infos().filter((i) =>
        m === CLIENT_CONSTANTS.LIST_FILES
          ? !i.IsDir
          : m === CLIENT_CONSTANTS.LIST_DIRS
          ? i.IsDir
          : true
      );
    };
    proto.ListDir = function (this: object, dir: unknown, mode?: unknown) {
      return listing(this, remote(this).ReadDir(dir), mode);
    };
    proto.ListDirR = function (this: object, dir: unknown, mode?: unknown) {
      const out: Info[] = [];
      const walk = (d: unknown): boolean => {
        const r = remote(this).ReadDir(d);
        if (!fail(this, r)) return false;
        for (const i of r.Infos()) {
          out.push(i);
          if (i.IsDir && !walk(i.Path)) return false;
        }
        return true;
      };
      if (!walk(dir)) return [];
      return listing(this, {
        Ok: () => true,
        ErrorMsg: () => "",
        Info: () => null,
        Infos: () => out,
      }, mode);
    };
    proto.ListFiles = function (this: object, dir: unknown, mask?: unknown) {
      return listing(this, remote(this).ListFiles(dir, mask ?? "*"), CLIENT_CONSTANTS.LIST_FILES);
    };
    proto.ListFilesR = function (this: object, dir: unknown, mask?: unknown) {
      return listing(this, remote(this).ListFilesR(dir, mask ?? "*"), CLIENT_CONSTANTS.LIST_FILES);
    };
    proto.Stat = function (this: object, path: unknown) {
      const r = remote(this).Stat(path);
      return fail(this, r) ? r.Info() : null;
    };
    for (
      const [method, vfsMethod] of [
        ["MakeDir", "MkdirAll"],
        ["DelDir", "Rmdir"],
        ["DelTree", "RemoveAll"],
        ["DelFile", "Remove"],
      ] as const
    ) {
      proto[method] = function (this: object, path: unknown) {
        return fail(this, remote(this)[vfsMethod](path));
      };
    }
    for (const method of ["RenFile", "RenDir"]) {
      proto[method] = function (this: object, from: unknown, to: unknown) {
        return fail(this, remote(this).Rename(from, to));
      };
    }
    proto.Upload = function (
      this: Record<string, unknown>,
      localGlob: unknown,
      remoteDir: unknown,
    ) {
      const o = st(this).Options;
      const { dir, pattern } = splitLocal(str(localGlob));
      const local = new VirtualFS("disk", dir);
      const how = o.DeleteSourceAfterUpload === true ? "MoveToVFS" : "CopyToVFS";
      return fail(
        this,
        local[how](pattern, remote(this), remoteDir, {
          overwrite: Number(o.UploadPolicy ?? 0),
          preserveTime: o.AdjustTimeOnUpload === true,
          stopOnError: o.StopOnTransferError === true,
        }),
      );
    };
    proto.Download = function (
      this: Record<string, unknown>,
      remoteGlob: unknown,
      localDir: unknown,
    ) {
      const o = st(this).Options;
      const local = new VirtualFS("disk", str(localDir));
      const how = o.DeleteSourceAfterDownload === true ? "MoveToVFS" : "CopyToVFS";
      return fail(
        this,
        remote(this)[how](remoteGlob, local, "/", {
          overwrite: Number(o.DownloadPolicy ?? 0),
          preserveTime: o.AdjustTimeOnDownload === true,
          stopOnError: o.StopOnTransferError === true,
        }),
      );
    };
    Object.freeze(proto);
    bridge.define(kind, Client);
  }
}
