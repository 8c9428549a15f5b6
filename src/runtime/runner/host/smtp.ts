/**
 * `SendMail(from, to, subject, body, attachmentPaths?)` through the SMTP settings, with npm
 * `nodemailer`. One connection per call. Certificates are always verified; `smtp.caFile` adds
 * CA certificates to the system's. With `smtp.tls` = `starttls` the mail is never sent in
 * clear: a server that does not offer STARTTLS is refused.
 *
 * @module
 */

import { isIP } from "node:net";
import { rootCertificates } from "node:tls";
import { basename } from "node:path";
import nodemailer from "nodemailer";
import type { ResultData } from "../../protocol/calls.ts";
import type { SmtpSpec } from "../../protocol/messages.ts";
import type { HostContext } from "./context.ts";
import { failed, localPath } from "./local.ts";

const HTML = /^\s*<[^>]+>[^]*<\/[a-z][^>]*>\s*$/i;

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

/** `SendMail`. Arguments are checked for type by the prelude. */
export async function sendMailCall(
  ctx: HostContext,
  [from, to, subject, body, attachments]: unknown[],
): Promise<ResultData> {
  const smtp = ctx.job.smtp;
  if (!smtp || smtp.host === "") {
    return failed(
      new Error("SendMail needs an SMTP server: set smtp.host (aft settings set smtp.host HOST)"),
    );
  }
  const sender = String(from ?? "").trim() || smtp.from;
  if (sender === "") return failed(new Error("No sender: pass one to SendMail or set smtp.from"));
  const recipients = splitRecipients(String(to ?? ""));
  if (recipients.length === 0) return failed(new Error("SendMail has no recipient"));

  const files: { filename: string; path: string }[] = [];
  for (const p of (attachments ?? []) as string[]) {
    const abs = await localPath(ctx, p);
    const st = await Deno.stat(abs).catch(() => null);
    if (!st?.isFile) return failed(new Error(`Attachment "${p}" does not exist or is not a file`));
    files.push({ filename: basename(abs), path: abs });
  }

  let pass = "";
  if (smtp.user !== "" && smtp.passSecret !== "") {
    const v = await ctx.request({ op: "secret", name: smtp.passSecret }) as string | null;
    if (v === null) {
      return failed(
        new Error(`The secret "${smtp.passSecret}" named by smtp.passSecret does not exist`),
      );
    }
    pass = v;
  }
  let ca: string[] | undefined;
  if (smtp.caFile !== "") {
    try {
      // Node's `ca` replaces the system roots: keep them, and add the file's.
      ca = [...rootCertificates, await Deno.readTextFile(smtp.caFile)];
    } catch (err) {
      return failed(new Error(`Cannot read smtp.caFile "${smtp.caFile}": ${String(err)}`));
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
  ctx.signal.addEventListener("abort", onAbort);
  try {
    const text = String(body ?? "");
    const html = HTML.test(text);
    const info = await transport.sendMail({
      from: sender,
      to: recipients,
      subject: String(subject ?? ""),
      ...(html ? { html: text, text: htmlToText(text) } : { text }),
      attachments: files,
    });
    if (info.rejected.length > 0) {
      return failed(
        new Error(
          `The SMTP server refused recipient "${String(info.rejected[0])}": ${info.response}`,
        ),
      );
    }
    ctx.log("info", `Mail sent to ${recipients.join(", ")} (message ${info.messageId})`);
    return { ok: true };
  } catch (err) {
    if (ctx.signal.aborted) return failed(new Error("The job was halted"));
    const e = err as { code?: string; rejected?: string[]; response?: string };
    if (e.code === "EENVELOPE" && e.rejected?.length) {
      return failed(
        new Error(`The SMTP server refused recipient "${e.rejected[0]}": ${e.response ?? ""}`),
      );
    }
    return failed(new Error(describeSmtpError(err, smtp)));
  } finally {
    ctx.signal.removeEventListener("abort", onAbort);
    transport.close();
  }
}

/** A plain-text alternative of an HTML body. */
function htmlToText(html: string): string {
  return html.replace(/<(br|\/p|\/div|\/h\d|\/li)\s*\/?>/gi, "\n").replace(/<[^>]+>/g, "")
    .replace(/&nbsp;/g, " ").replace(/&lt;/g, "<").replace(/&gt;/g, ">").replace(/&amp;/g, "&")
    .replace(/\n{3,}/g, "\n\n").trim();
}
