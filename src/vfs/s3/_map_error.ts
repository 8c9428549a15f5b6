/**
 * S3's errors as VfsErrors: the AWS SDK's error names (the `Code` of S3's XML answers) and what
 * they mean; status, network and TLS failures are read the way every object store reads them.
 *
 * @module
 */

import { type ErrorDialect, type ErrorMeaning, mapStoreError } from "../object_store/mod.ts";
import type { VfsError } from "../types.ts";

interface SdkError {
  name?: string;
  Code?: string;
  message?: string;
  $metadata?: { httpStatusCode?: number };
}

const CODES: Record<string, ErrorMeaning> = {
  NoSuchKey: "notFound",
  NotFound: "notFound",
  NoSuchBucket: "bucketMissing",
  InvalidAccessKeyId: "auth",
  SignatureDoesNotMatch: "auth",
  InvalidToken: "auth",
  ExpiredToken: "auth",
  TokenRefreshRequired: "auth",
  AuthorizationHeaderMalformed: "auth",
  InvalidClientTokenId: "auth",
  CredentialsProviderError: "auth",
  AccessDenied: "denied",
  AllAccessDisabled: "denied",
  Forbidden: "denied",
  AbortError: "cancelled",
  RequestTimeout: "timeout",
  TimeoutError: "timeout",
  RequestTimeTooSkewed: "timeout",
  SlowDown: "busy",
  ServiceUnavailable: "busy",
  InternalError: "busy",
  NotImplemented: "unsupported",
};

const S3: ErrorDialect = {
  service: "S3",
  bucket: "bucket",
  credentials: "access key id or secret access key",
  codes: CODES,
  facts(err) {
    const e = (err ?? {}) as SdkError;
    const name = e.Code ?? e.name ?? "";
    return {
      codes: [name],
      status: e.$metadata?.httpStatusCode,
      message: e.message || name || String(err),
    };
  },
};

/** Maps an SDK, network or stream error to a {@linkcode VfsError}. */
export function mapS3Error(err: unknown, path?: string): VfsError {
  return mapStoreError(S3, err, path);
}
