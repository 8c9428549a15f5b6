/**
 * TLS helpers for the backends: the `caFile` option, and why a server's certificate was
 * refused, in words.
 *
 * Deno's `node:tls` (under basic-ftp, the AWS SDK and the Azure SDK) reports every failed
 * certificate check as "unable to verify the first certificate", whether the certificate has
 * expired, names another host or comes from an unknown authority. Deno's own TLS names the
 * reason. So after such a failure, one more handshake with the same trust settings tells the
 * user which it is; it costs a connection only when a connection has already failed.
 *
 * @module
 */

import { isVfsError, VfsError } from "./types.ts";

/** Reads the PEM named by a `caFile` option; an unreadable file is one clear error. */
export async function readCaFile(path: string): Promise<string> {
  try {
    return await Deno.readTextFile(path);
  } catch (err) {
    throw new VfsError("CONNECTION", `Cannot read caFile "${path}": ${(err as Error).message}`, {
      retryable: false,
    });
  }
}

export interface TlsProbe {
  host: string;
  port: number;
  /** Extra trusted certificates (PEM), as given to the connection that failed. */
  ca?: string;
  /** Runs on the plain connection before the handshake (FTP's `AUTH TLS`). */
  upgrade?: (conn: Deno.TcpConn) => Promise<void>;
  timeoutMs?: number;
}

/** Whether `message` is the catch-all text of a refused certificate. */
export function isVagueCertificateError(message: string): boolean {
  return /unable to verify the first certificate|UNABLE_TO_VERIFY_LEAF_SIGNATURE/i.test(message);
}

/** The reason the certificate is refused, or undefined when the handshake now passes or fails otherwise. */
export async function certificateProblem(p: TlsProbe): Promise<string | undefined> {
  let conn: Deno.TcpConn | undefined;
  let tls: Deno.TlsConn | undefined;
  const timer = setTimeout(() => {
    try {
      (tls ?? conn)?.close();
    } catch { /* closed */ }
  }, p.timeoutMs ?? 5000);
  try {
    conn = await Deno.connect({ hostname: p.host, port: p.port });
    await p.upgrade?.(conn);
    tls = await Deno.startTls(conn, {
      hostname: p.host,
      caCerts: p.ca ? [p.ca] : undefined,
    });
    await tls.handshake();
    return undefined;
  } catch (err) {
    const m = /invalid peer certificate: (.*)/i.exec((err as Error).message);
    return m ? describeCertificateProblem(m[1]!) : undefined;
  } finally {
    clearTimeout(timer);
    try {
      (tls ?? conn)?.close();
    } catch { /* closed */ }
  }
}

/** rustls's reason (`certificate expired: verification time ...`) in plain words. */
export function describeCertificateProblem(reason: string): string {
  const expired = /expired.*not valid after (\d+)/i.exec(reason);
  if (expired) {
    return `the server's certificate expired on ${
      new Date(Number(expired[1]) * 1000).toISOString()
    }`;
  }
  const early = /not valid before (\d+)/i.exec(reason);
  if (early) {
    return `the server's certificate is not valid until ${
      new Date(Number(early[1]) * 1000).toISOString()
    }`;
  }
  if (/UnknownIssuer/i.test(reason)) {
    return "the server's certificate is not signed by a trusted authority (name its CA with the caFile option)";
  }
  if (/not valid for name/i.test(reason)) {
    return `the server's certificate is for another host name (${reason})`;
  }
  return `the server's certificate was refused (${reason})`;
}

/**
 * `err` as it is, unless it is the vague certificate failure: then, when one more handshake
 * (`probe`) tells why, a CONNECTION error that says so ("TLS failed with the `server`: ...").
 */
export async function withCertificateReason(
  err: unknown,
  probe: TlsProbe,
  server: string,
): Promise<unknown> {
  if (!isVfsError(err, "CONNECTION") || !isVagueCertificateError(err.message)) return err;
  const why = await certificateProblem(probe);
  return why
    ? new VfsError("CONNECTION", `TLS failed with the ${server}: ${why}`, {
      cause: err,
      retryable: false,
    })
    : err;
}
