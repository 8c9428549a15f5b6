/**
 * The form of each VFS backend type: what its target looks like and which options it takes
 * (as the README's table of backends says). Credentials (`isCredentialOption`) are write-only
 * fields: never filled in, left empty to keep the stored value; an option ending in `Secret`
 * names a secret to read the credential from instead.
 *
 * @module
 */

import type { VfsType } from "../engine/mod.ts";

/** One option of a backend. */
export interface OptionField {
  key: string;
  label: string;
  /** `text`, a `secret` name chosen from the secrets, a `choice`, or a `flag` ("true"). */
  kind: "text" | "secret" | "choice" | "flag";
  hint?: string;
  choices?: string[];
}

/** One backend type's form. */
export interface BackendForm {
  type: Exclude<VfsType, "memory">;
  label: string;
  targetLabel: string;
  placeholder: string;
  hint: string;
  options: OptionField[];
}

const secretOf = (key: string, what: string): OptionField => ({
  key: `${key}Secret`,
  label: `${what} from a secret`,
  kind: "secret",
  hint: `Instead of typing it here: the secret holding the ${what.toLowerCase()}`,
});

const password: OptionField[] = [
  { key: "pass", label: "Password", kind: "text" },
  secretOf("pass", "Password"),
];

const tlsFiles: OptionField[] = [
  {
    key: "caFile",
    label: "CA certificate file",
    kind: "text",
    hint: "PEM file of a private CA that signed the server's certificate",
  },
];

/** Part size and parallel requests of an object store's large transfers (`ranged.ts`). */
const inParts = (what: string, concurrency: string): OptionField[] => [
  {
    key: "partSizeMiB",
    label: "Part size (MiB)",
    kind: "text",
    hint: `${what}: 5 to 1024, default 8`,
  },
  {
    key: "concurrency",
    label: "Parts at once",
    kind: "text",
    hint: `Requests in flight for one large file: 1 to 64, default ${concurrency}`,
  },
];

/** `idleTimeoutSeconds` (`../vfs/idle_timeout.ts`). */
const idleTimeout: OptionField = {
  key: "idleTimeoutSeconds",
  label: "Idle timeout (seconds)",
  kind: "text",
  hint:
    "A request that waits this long with nothing from the server fails: 1 to 86400, default 300",
};

/** Every backend's form, in the order the type choice lists them. */
export const BACKEND_FORMS: readonly BackendForm[] = [
  {
    type: "disk",
    label: "Local disk",
    targetLabel: "Folder",
    placeholder: "/srv/transfer",
    hint: "An absolute path of an existing folder on the service's machine",
    options: [],
  },
  {
    type: "sftp",
    label: "SFTP",
    targetLabel: "Server URL",
    placeholder: "sftp://user@host:22/base/dir",
    hint: "sftp://USER@HOST:PORT/FOLDER",
    options: [
      ...password,
      { key: "keyFile", label: "Private key file", kind: "text", hint: "OpenSSH or PEM key" },
      { key: "keyPassphrase", label: "Key passphrase", kind: "text" },
      secretOf("keyPassphrase", "Key passphrase"),
      {
        key: "hostKeySHA256",
        label: "Host key fingerprint",
        kind: "text",
        hint: "SHA256:... ; when empty, the key seen on the first connection is recorded",
      },
      idleTimeout,
    ],
  },
  {
    type: "ftp",
    label: "FTP",
    targetLabel: "Server URL",
    placeholder: "ftp://user@host:21/base/dir",
    hint: "ftp://USER@HOST:PORT/FOLDER (no encryption: prefer FTPS)",
    options: [...password],
  },
  {
    type: "ftps",
    label: "FTPS",
    targetLabel: "Server URL",
    placeholder: "ftps://user@host:21/base/dir",
    hint: "ftps://USER@HOST:PORT/FOLDER",
    options: [
      ...password,
      {
        key: "tls",
        label: "TLS mode",
        kind: "choice",
        choices: ["explicit", "implicit"],
        hint: "explicit (AUTH TLS, the default) or implicit (port 990)",
      },
      ...tlsFiles,
      {
        key: "tlsInsecure",
        label: "Do not check the server's certificate",
        kind: "flag",
        hint: "Only for a test server",
      },
    ],
  },
  {
    type: "s3",
    label: "S3",
    targetLabel: "Bucket URL",
    placeholder: "s3://bucket/prefix?region=eu-west-1",
    hint: "s3://BUCKET/PREFIX?region=REGION (&endpoint=URL for an S3-compatible store)",
    options: [
      { key: "accessKeyId", label: "Access key ID", kind: "text" },
      { key: "secretAccessKey", label: "Secret access key", kind: "text" },
      secretOf("secretAccessKey", "Secret access key"),
      ...tlsFiles,
      ...inParts("Of multipart uploads and ranged downloads", "4"),
      idleTimeout,
    ],
  },
  {
    type: "azure",
    label: "Azure Blob",
    targetLabel: "Container URL",
    placeholder: "azure://account/container/prefix",
    hint: "azure://ACCOUNT/CONTAINER/PREFIX (?endpoint=URL for another endpoint)",
    options: [
      { key: "accountKey", label: "Account key", kind: "text" },
      secretOf("accountKey", "Account key"),
      {
        key: "sasToken",
        label: "SAS token",
        kind: "text",
        hint: "Instead of the account key: a shared access signature (sv=...&sig=...)",
      },
      secretOf("sasToken", "SAS token"),
      ...inParts("Of upload blocks and ranged downloads", "4"),
      idleTimeout,
    ],
  },
  {
    type: "gcs",
    label: "Google Cloud Storage",
    targetLabel: "Bucket URL",
    placeholder: "gcs://bucket/prefix",
    hint: "gcs://BUCKET/PREFIX (?endpoint=URL for a GCS-compatible server)",
    options: [
      {
        key: "credentialsFile",
        label: "Service-account key file",
        kind: "text",
        hint: "Without credentials: Application Default Credentials",
      },
      { key: "credentials", label: "Service-account key (JSON)", kind: "text" },
      secretOf("credentials", "Service-account key"),
      { key: "projectId", label: "Project ID", kind: "text" },
      ...inParts("Of ranged downloads (uploads are one stream)", "1 (one stream)"),
      idleTimeout,
    ],
  },
];

/** The form of `type`; undefined for a type the console has no form for. */
export function backendForm(type: string): BackendForm | undefined {
  return BACKEND_FORMS.find((f) => f.type === type);
}
