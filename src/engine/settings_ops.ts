/**
 * `engine.settings`: read and change the service settings, each value checked against the
 * settings table (`settings.ts`) before anything is stored; and **Send a test mail** through
 * the SMTP settings, with the same code a script's `SendMail` uses.
 *
 * @module
 */

import { EngineError, guarded } from "./errors.ts";
import {
  networkSettingKeys,
  parseSettingValue,
  type SettingKey,
  type Settings,
} from "./settings.ts";
import type { EngineCore } from "./types.ts";

export interface SettingsOps {
  /** Current settings; a read is reused for at most a second unless `fresh`. */
  get(opts?: { fresh?: boolean }): Promise<Settings>;
  /** Checks and stores one setting; returns the value as stored. */
  set(key: string, value: unknown): Promise<unknown>;
  /** Checks every change first, then stores them all; returns the settings after. */
  update(changes: Record<string, unknown>): Promise<Settings>;
  /** Resets the network settings (`aft reinit`); returns their keys. */
  resetNetwork(): Promise<SettingKey[]>;
  /**
   * Sends a short test mail to `to` (one address or several, comma-separated) through the SMTP
   * settings as they are stored now. INVALID_REQUEST when no server, sender or recipient is
   * set, SECRET_NOT_FOUND for a missing password secret, MAIL_FAILED with what the server or
   * the network said.
   */
  testMail(to: string): Promise<{ to: string[]; messageId: string; response: string }>;
}

/** The settings operations over `core`. */
export function createSettingsOps(core: EngineCore): SettingsOps {
  return guarded({
    get: (opts?: { fresh?: boolean }) => core.settings(opts?.fresh === true),
    async set(key: string, value: unknown) {
      const parsed = parseSettingValue(key, value);
      await core.store.settings.set(key, parsed);
      await core.settings(true);
      return parsed;
    },
    async update(changes: Record<string, unknown>) {
      const parsed = Object.entries(changes).map(([k, v]) => [k, parseSettingValue(k, v)] as const);
      for (const [k, v] of parsed) await core.store.settings.set(k, v);
      return await core.settings(true);
    },
    async resetNetwork() {
      const keys = networkSettingKeys();
      for (const k of keys) await core.store.settings.remove(k);
      await core.settings(true);
      return keys;
    },
    async testMail(to: string) {
      // Loaded here: only this operation needs nodemailer.
      const { describeSmtpError, sendSmtp, splitRecipients } = await import(
        "../runtime/mail/smtp_send.ts"
      );
      const s = await core.settings(true);
      const invalid = (m: string) => new EngineError("INVALID_REQUEST", m);
      if (s["smtp.host"] === "") throw invalid("Set the SMTP server (smtp.host) first");
      if (s["smtp.from"] === "") throw invalid("Set the sender address (smtp.from) first");
      const recipients = splitRecipients(String(to ?? ""));
      if (recipients.length === 0) throw invalid("Give an address to send the test mail to");
      let pass = "";
      if (s["smtp.user"] !== "" && s["smtp.passSecret"] !== "") {
        const v = await core.secrets.get(s["smtp.passSecret"]);
        if (v === undefined) {
          throw new EngineError(
            "SECRET_NOT_FOUND",
            `The secret "${s["smtp.passSecret"]}" named by smtp.passSecret does not exist`,
          );
        }
        pass = v;
      }
      const smtp = {
        host: s["smtp.host"],
        port: s["smtp.port"],
        tls: s["smtp.tls"],
        user: s["smtp.user"],
        passSecret: s["smtp.passSecret"],
        from: s["smtp.from"],
        caFile: s["smtp.caFile"],
      };
      let info;
      try {
        info = await sendSmtp(smtp, pass, {
          from: smtp.from,
          to: recipients,
          subject: "aft test mail",
          text: `This is a test mail from aft on ${core.node}, sent with the SMTP settings ` +
            `(${smtp.host}:${smtp.port}, ${smtp.tls}). Scripts' SendMail goes the same way.`,
        });
      } catch (err) {
        const why = err instanceof Error && err.name === "SmtpSetupError"
          ? err.message
          : describeSmtpError(err, smtp);
        throw new EngineError("MAIL_FAILED", why, { cause: err });
      }
      if (info.rejected.length > 0) {
        throw new EngineError(
          "MAIL_FAILED",
          `The SMTP server refused recipient "${info.rejected[0]}": ${info.response}`,
        );
      }
      return { to: recipients, messageId: info.messageId, response: info.response };
    },
  });
}
