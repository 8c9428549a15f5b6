/**
 * `SendMail(from, to, subject, body, attachmentPaths?)` through the SMTP settings: checks the
 * arguments, reads the attachments and the password's secret, and sends with the shared SMTP
 * code (`runtime/mail/smtp_send.ts`, also behind the console's test mail).
 *
 * @module
 */

import { basename } from "node:path";
import {
  describeSmtpError,
  sendSmtp,
  SmtpSetupError,
  splitRecipients,
} from "../../mail/smtp_send.ts";
import type { ResultData } from "../../protocol/calls.ts";
import type { HostContext } from "./context.ts";
import { failed, localPath } from "./local.ts";

export { splitRecipients };

const HTML = /^\s*<[^>]+>[^]*<\/[a-z][^>]*>\s*$/i;

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
  try {
    const text = String(body ?? "");
    const html = HTML.test(text);
    const info = await sendSmtp(smtp, pass, {
      from: sender,
      to: recipients,
      subject: String(subject ?? ""),
      ...(html ? { html: text, text: htmlToText(text) } : { text }),
      attachments: files,
    }, ctx.signal);
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
    if (err instanceof SmtpSetupError) return failed(err);
    return failed(new Error(describeSmtpError(err, smtp)));
  }
}

/** A plain-text alternative of an HTML body. */
function htmlToText(html: string): string {
  return html.replace(/<(br|\/p|\/div|\/h\d|\/li)\s*\/?>/gi, "\n").replace(/<[^>]+>/g, "")
    .replace(/&nbsp;/g, " ").replace(/&lt;/g, "<").replace(/&gt;/g, ">").replace(/&amp;/g, "&")
    .replace(/\n{3,}/g, "\n\n").trim();
}
