/**
 * The service's TLS material. On first start `aft serve` makes a small local CA and a server
 * certificate signed by it (both ECDSA P-256), kept in `DATA/tls/`. A separate CA (rather than
 * one self-signed leaf) is what TLS libraries such as rustls accept as a trust anchor, so local
 * clients (`aft start`, `aft run` delegation) can trust `ca.pem` and verify host names as usual.
 * The server certificate names localhost, 127.0.0.1, ::1, the host name and this machine's
 * addresses at generation time. The CA's key is kept (`ca.key`, 0600) so that a renewed server
 * certificate is signed by the same CA, which `aft tls trust` may have put in the system store.
 *
 * @module
 */

// @peculiar/x509 needs the Reflect metadata API (through tsyringe) before it loads.
import "reflect-metadata";
import * as x509 from "@peculiar/x509";
import { join } from "node:path";

export interface TlsMaterial {
  cert: string;
  key: string;
  /** PEM of the local CA, or undefined for a certificate given with --tls-cert. */
  ca?: string;
  /** SHA-256 fingerprint (hex, colon-separated) of the server certificate. */
  fingerprint: string;
}

const ALG = { name: "ECDSA", namedCurve: "P-256", hash: "SHA-256" } as const;
const DAY = 24 * 3600 * 1000;

/**
 * Loads the service certificate from `dataDir/tls`, generating it when missing. A server
 * certificate about to expire is renewed under the same CA (`ca.key` is kept beside `ca.pem`),
 * so a CA that clients or the system trust store (`aft tls trust`) were given stays valid; only
 * a data directory made before the CA key was kept gets a new CA then.
 */
export async function loadOrCreateTls(
  dataDir: string,
  opts: { now?: number } = {},
): Promise<TlsMaterial> {
  const now = opts.now ?? Date.now();
  const dir = join(dataDir, "tls");
  const paths = {
    ca: join(dir, "ca.pem"),
    caKey: join(dir, "ca.key"),
    cert: join(dir, "server.pem"),
    key: join(dir, "server.key"),
  };
  const read = (p: string) =>
    Deno.readTextFile(p).catch((err) => {
      if (err instanceof Deno.errors.NotFound) return undefined;
      throw err;
    });
  const [ca, caKey, cert, key] = await Promise.all(
    [paths.ca, paths.caKey, paths.cert, paths.key].map(read),
  );
  if (ca && cert && key && new x509.X509Certificate(cert).notAfter.getTime() - now > 30 * DAY) {
    return { ca, cert, key, fingerprint: await fingerprintOf(cert) };
  }
  await Deno.mkdir(dir, { recursive: true, mode: 0o700 });
  // Renew the server certificate under the CA while the CA has years to go (it lives ten).
  if (ca && caKey && new x509.X509Certificate(ca).notAfter.getTime() - now > 400 * DAY) {
    const leaf = await makeLeaf(ca, caKey);
    await Deno.writeTextFile(paths.cert, leaf.cert, { mode: 0o600 });
    await Deno.writeTextFile(paths.key, leaf.key, { mode: 0o600 });
    return { ca, ...leaf, fingerprint: await fingerprintOf(leaf.cert) };
  }
  const made = await generate();
  await Deno.writeTextFile(paths.caKey, made.caKey, { mode: 0o600 });
  await Deno.writeTextFile(paths.ca, made.ca, { mode: 0o600 });
  await Deno.writeTextFile(paths.cert, made.cert, { mode: 0o600 });
  await Deno.writeTextFile(paths.key, made.key, { mode: 0o600 });
  return { ca: made.ca, cert: made.cert, key: made.key, fingerprint: made.fingerprint };
}

/** Reads a certificate and key given by the user (`--tls-cert`, `--tls-key`). */
export async function loadTlsFiles(certPath: string, keyPath: string): Promise<TlsMaterial> {
  const [cert, key] = await Promise.all([
    Deno.readTextFile(certPath),
    Deno.readTextFile(keyPath),
  ]);
  return { cert, key, fingerprint: await fingerprintOf(cert) };
}

/** SHA-256 fingerprint of the first certificate in a PEM text, as `AB:CD:...`. */
export async function fingerprintOf(pem: string): Promise<string> {
  const cert = new x509.X509Certificate(pem);
  const digest = new Uint8Array(await crypto.subtle.digest("SHA-256", cert.rawData));
  return [...digest].map((b) => b.toString(16).padStart(2, "0").toUpperCase()).join(":");
}

/** A new CA and a server certificate signed by it. */
async function generate(): Promise<TlsMaterial & { ca: string; caKey: string }> {
  x509.cryptoProvider.set(crypto);
  const host = Deno.hostname();
  const now = Date.now();
  const caKeys = await crypto.subtle.generateKey(ALG, true, ["sign", "verify"]) as CryptoKeyPair;
  const caCert = await x509.X509CertificateGenerator.createSelfSigned({
    serialNumber: randomSerial(),
    name: `CN=aft local CA (${host})`,
    notBefore: new Date(now - DAY),
    notAfter: new Date(now + 3650 * DAY),
    signingAlgorithm: ALG,
    keys: caKeys,
    extensions: [
      new x509.BasicConstraintsExtension(true, 0, true),
      new x509.KeyUsagesExtension(
        x509.KeyUsageFlags.keyCertSign | x509.KeyUsageFlags.cRLSign,
        true,
      ),
      await x509.SubjectKeyIdentifierExtension.create(caKeys.publicKey),
    ],
  });
  const ca = caCert.toString("pem");
  const caPkcs8 = await crypto.subtle.exportKey("pkcs8", caKeys.privateKey);
  const caKey = x509.PemConverter.encode(caPkcs8, "PRIVATE KEY");
  const leaf = await makeLeaf(ca, caKey);
  return { ca, caKey, ...leaf, fingerprint: await fingerprintOf(leaf.cert) };
}

/** A server certificate (and its key) for this machine's names, signed by the CA given. */
async function makeLeaf(caPem: string, caKeyPem: string): Promise<{ cert: string; key: string }> {
  x509.cryptoProvider.set(crypto);
  const host = Deno.hostname();
  const now = Date.now();
  const caCert = new x509.X509Certificate(caPem);
  const caPrivate = await crypto.subtle.importKey(
    "pkcs8",
    x509.PemConverter.decodeFirst(caKeyPem),
    ALG,
    false,
    ["sign"],
  );
  const keys = await crypto.subtle.generateKey(ALG, true, ["sign", "verify"]) as CryptoKeyPair;
  const names: x509.JsonGeneralName[] = [
    { type: "dns", value: "localhost" },
    { type: "ip", value: "127.0.0.1" },
    { type: "ip", value: "::1" },
  ];
  if (host && host !== "localhost") names.push({ type: "dns", value: host });
  for (const addr of localAddresses()) names.push({ type: "ip", value: addr });
  const leaf = await x509.X509CertificateGenerator.create({
    serialNumber: randomSerial(),
    subject: `CN=${host || "localhost"}`,
    issuer: caCert.subject,
    notBefore: new Date(now - DAY),
    // 397 days: the longest validity clients such as browsers accept for a server certificate.
    notAfter: new Date(now + 397 * DAY),
    signingAlgorithm: ALG,
    publicKey: keys.publicKey,
    signingKey: caPrivate,
    extensions: [
      new x509.BasicConstraintsExtension(false, undefined, true),
      new x509.KeyUsagesExtension(x509.KeyUsageFlags.digitalSignature, true),
      new x509.ExtendedKeyUsageExtension([x509.ExtendedKeyUsage.serverAuth]),
      new x509.SubjectAlternativeNameExtension(names),
      await x509.AuthorityKeyIdentifierExtension.create(caCert),
    ],
  });
  const pkcs8 = await crypto.subtle.exportKey("pkcs8", keys.privateKey);
  return { cert: leaf.toString("pem"), key: x509.PemConverter.encode(pkcs8, "PRIVATE KEY") };
}

function randomSerial(): string {
  const b = crypto.getRandomValues(new Uint8Array(16));
  b[0]! &= 0x7f; // positive
  return [...b].map((x) => x.toString(16).padStart(2, "0")).join("");
}

function localAddresses(): string[] {
  const seen = new Set<string>(["127.0.0.1", "::1"]);
  const out: string[] = [];
  try {
    for (const i of Deno.networkInterfaces()) {
      const a = i.address.split("%")[0]!;
      if (seen.has(a) || a.startsWith("fe80:")) continue;
      seen.add(a);
      out.push(a);
    }
  } catch { /* not permitted or not available: names above suffice */ }
  return out;
}

/** The end of a certificate's validity (ISO), from its PEM. */
export function notAfterOf(pem: string): string {
  return new x509.X509Certificate(pem).notAfter.toISOString();
}
