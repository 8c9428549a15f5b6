/**
 * Azure Blob's errors as VfsErrors: the storage service's error codes (`x-ms-error-code`) and
 * what they mean; status, network and TLS failures are read the way every object store reads
 * them.
 *
 * @module
 */

import { type ErrorDialect, type ErrorMeaning, mapStoreError } from "../object_store/mod.ts";
import type { VfsError } from "../types.ts";

interface RestErrorLike {
  name?: string;
  code?: string;
  statusCode?: number;
  message?: string;
  details?: { errorCode?: string };
}

const CODES: Record<string, ErrorMeaning> = {
  BlobNotFound: "notFound",
  ContainerNotFound: "bucketMissing",
  AuthenticationFailed: "auth",
  AuthorizationFailure: "auth",
  InvalidAuthenticationInfo: "auth",
  NoAuthenticationInformation: "auth",
  AuthorizationPermissionMismatch: "denied",
  AuthorizationResourceTypeMismatch: "denied",
  AuthorizationServiceMismatch: "denied",
  InsufficientAccountPermissions: "denied",
  OperationTimedOut: "timeout",
  ServerBusy: "busy",
  InternalError: "busy",
  AbortError: "cancelled",
};

const AZURE: ErrorDialect = {
  service: "Azure",
  bucket: "container",
  credentials: "account name, account key or SAS token",
  codes: CODES,
  facts(err) {
    const e = (err ?? {}) as RestErrorLike;
    const code = e.details?.errorCode ?? e.code ?? "";
    return {
      codes: [code, e.name],
      status: e.statusCode,
      message: (e.message || code || String(err)).split("\n")[0]!,
    };
  },
};

/** Maps an Azure SDK, network or stream error to a {@linkcode VfsError}. */
export function mapAzureError(err: unknown, path?: string): VfsError {
  return mapStoreError(AZURE, err, path);
}
