/**
 * Sending one mail through the SMTP settings, with npm `nodemailer`: the part shared by the
 * script global `SendMail` (the runner's host handler) and the engine's **Send a test mail**, so
 * both reach the server the same way. One connection per mail. Certificates are always
 * verified; `smtp.caFile` adds CA certificates to the system's. With `smtp.tls` = `starttls` the
 * mail is never sent in clear: a server that does not offer STARTTLS is refused.
 *
 * @module
 */

import { isIP } from "node:net";
import { rootCertificates } from "node:tls";
import nodemailer from "nodemailer";
import type { SmtpSpec } from "../protocol/messages.ts";

/** One mail. */
export interface OutgoingMail {
  from: string;
  to: string[];
  subject: string;
  text?: string;
  html?: string;
  attachments?: { filename: string; path: string }[];
}

/** What the server said when it took the mail. */
export interface SentMail {
  messageId: string;
  response: string;
  rejected: string[];
}

/** A setting that makes sending impossible before any connection (an unreadable CA file). */
export class SmtpSetupError extends Error {
  override name = "SmtpSetupError";
}

/** Recipients from "a@x, b@y; c@z". */
export function splitRecipients(to: string): string[] {
  return to.split(/[,;]/).map((s) => s.trim()).filter((s) => s !== "");
}

/** One sentence for what the SMTP server or the network said. */
export function describeSmtpError(err: unknown, smtp: SmtpSpec): string {
  const e = err as { code?: string; responseCode?: number; response?: string; message?: string };
  const where = `${smtp.host}:${smtp.port}`;
  const said = (e.response ?? e.message ?? String(err)).trim();
  switch (e.code) {
    case "EAUTH":
      return `The SMTP server ${where} refused the login for user "${smtp.user}": ${said}`;
    case "EENVELOPE":
      return `The SMTP server ${where} refused the envelope: ${said}`;
    case "ECONNECTION":
    case "ESOCKET":
      if (/certificate|self[- ]signed|CERT|unable to verify/i.test(said)) {
        return `Cannot reach the SMTP server ${where} over TLS: its certificate is not trusted (${said})`;
      }
      if (/STARTTLS/i.test(said)) {
        return `The SMTP server ${where} does not offer STARTTLS, and smtp.tls is starttls: ${said}`;
      }
      return `Cannot connect to the SMTP server ${where}: ${said}`;
    case "ETIMEDOUT":
      return `The SMTP server ${where} did not answer in time`;
    case "EDNS":
      return `Cannot resolve the SMTP server name "${smtp.host}": ${said}`;
    case "ETLS":
      // A reply code means the server answered STARTTLS with a refusal.
      if (e.responseCode) {
        return `The SMTP server ${where} refused STARTTLS, and smtp.tls is starttls (nothing was sent in clear): ${said}`;
      }
      return `TLS with the SMTP server ${where} failed: ${said}`;
    default:
      if (e.responseCode) return `The SMTP server ${where} refused the mail: ${said}`;
      return `Cannot send through the SMTP server ${where}: ${said}`;
  }
}

/**
 * Sends `mail` through `smtp` (logging in with `pass` when `smtp.user` is set). Throws what
 * nodemailer throws (describe it with `describeSmtpError`), or SmtpSetupError when
 * `smtp.caFile` cannot be read. `signal` closes the connection.
 */
export async function sendSmtp(
  smtp: SmtpSpec,
  pass: string,
  mail: OutgoingMail,
  signal?: AbortSignal,
): Promise<SentMail> {
  let ca: string[] | undefined;
  if (smtp.caFile !== "") {
    try {
      // Node's `ca` replaces the system roots: keep them, and add the file's.
      ca = [...rootCertificates, await Deno.readTextFile(smtp.caFile)];
    } catch (err) {
      throw new SmtpSetupError(`Cannot read smtp.caFile "${smtp.caFile}": ${String(err)}`);
    }
  }
  const transport = nodemailer.createTransport({
    host: smtp.host,
    port: smtp.port,
    secure: smtp.tls === "tls",
    requireTLS: smtp.tls === "starttls",
    ignoreTLS: smtp.tls === "none",
    auth: smtp.user !== "" ? { user: smtp.user, pass } : undefined,
    // SNI takes names only; an IP address is checked against the certificate's IP entries.
    tls: { rejectUnauthorized: true, servername: isIP(smtp.host) ? undefined : smtp.host, ca },
    connectionTimeout: 15_000,
    greetingTimeout: 15_000,
    socketTimeout: 60_000,
    disableFileAccess: false,
    disableUrlAccess: true,
  });
  const onAbort = () => transport.close();
  signal?.addEventListener("abort", onAbort);
  try {
    const info = await transport.sendMail({
      from: mail.from,
      to: mail.to,
      subject: mail.subject,
      ...(mail.html !== undefined ? { html: mail.html } : {}),
      ...(mail.text !== undefined ? { text: mail.text } : {}),
      attachments: mail.attachments ?? [],
    });
    return {
      messageId: String(info.messageId),
      response: String(info.response),
      rejected: info.rejected.map(String),
    };
  } finally {
    signal?.removeEventListener("abort", onAbort);
    transport.close();
  }
}
