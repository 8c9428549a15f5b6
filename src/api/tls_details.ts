/**
 * What the console's Settings page shows of the certificate `aft serve` presents: subject,
 * issuer, names, validity, fingerprint and where it came from. Read here, in the composition
 * root's layer, because the console does not parse certificates itself.
 *
 * @module
 */

import "reflect-metadata";
import * as x509 from "@peculiar/x509";
import { fingerprintOf } from "./tls.ts";

/** The certificate as the console shows it (same shape as the console's `TlsDetails`). */
export interface CertificateDetails {
  subject: string;
  issuer: string;
  sans: string[];
  notBefore: string;
  notAfter: string;
  fingerprint: string;
  source: "given" | "local CA";
}

/** The details of the first certificate of `pem`. */
export async function certificateDetails(
  pem: string,
  source: CertificateDetails["source"],
): Promise<CertificateDetails> {
  const cert = new x509.X509Certificate(pem);
  const san = cert.getExtension(x509.SubjectAlternativeNameExtension);
  const sans = san
    ? san.names.items.map((n) =>
      `${n.type === "dns" ? "DNS" : n.type === "ip" ? "IP" : n.type}:${n.value}`
    )
    : [];
  return {
    subject: cert.subject,
    issuer: cert.issuer,
    sans,
    notBefore: cert.notBefore.toISOString(),
    notAfter: cert.notAfter.toISOString(),
    fingerprint: await fingerprintOf(pem),
    source,
  };
}
