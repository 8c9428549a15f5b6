/**
 * Service settings: their defaults, their types, and parsing of `aft settings set KEY VALUE`.
 *
 * @module
 */

import { isAbsolute, resolve } from "../path.ts";
import { EngineError } from "./errors.ts";
import { escapeControls, hasUnsafeCharacters } from "./names.ts";
import type { Store } from "../store/types.ts";
import {
  DEFAULT_LOG_MAX_BYTES_PER_JOB,
  DEFAULT_LOG_MAX_LINE_BYTES,
} from "../runtime/protocol/log_limits.ts";

export type SmtpTls = "none" | "starttls" | "tls";

/** Every setting with its type. Keys with a dot (`smtp.host`) are flat keys in the store. */
export interface Settings {
  allowCliRun: boolean;
  maxConcurrentJobs: number;
  jobTimeoutSeconds: number;
  haltGraceSeconds: number;
  jobMemoryMiB: number;
  scriptWorkerReuse: boolean;
  localRoots: string[];
  scriptRoots: string[];
  transferConcurrency: number;
  logMaxLineBytes: number;
  logMaxBytesPerJob: number;
  jobRetentionDays: number;
  auditRetentionDays: number;
  nodeLeaseSeconds: number;
  listen: string;
  corsOrigins: string[];
  sessionLifetimeMinutes: number;
  "smtp.host": string;
  "smtp.port": number;
  "smtp.tls": SmtpTls;
  "smtp.user": string;
  "smtp.passSecret": string;
  "smtp.from": string;
  "smtp.caFile": string;
}

export type SettingKey = keyof Settings;

export interface SettingSpec {
  kind: "boolean" | "integer" | "string" | "string[]" | "enum";
  default: unknown;
  min?: number;
  max?: number;
  values?: readonly string[];
  /** Reset by `aft reinit`. */
  network?: boolean;
  /** For strings: why a value is refused, or undefined when it is fine. */
  check?: (value: string) => string | undefined;
  /** For a list: a problem with one of its items. */
  itemCheck?: (value: string) => string | undefined;
  /** For a list: the form an item is stored in (after `itemCheck`); equal forms are kept once. */
  itemForm?: (value: string) => string;
  help: string;
}

/**
 * An item of `localRoots` or `scriptRoots`: an absolute folder path (a relative one would be
 * taken from the working folder of each runner process, not one an administrator could tell)
 * without control characters or bidirectional overrides.
 */
function folderPath(v: string): string | undefined {
  if (!isAbsolute(v)) return "takes absolute folder paths";
  if (hasUnsafeCharacters(v)) {
    return "takes folder paths without control characters or bidirectional overrides";
  }
  return undefined;
}

/**
 * The stored form of a folder of `localRoots` or `scriptRoots`: `.` and `..` resolved and no
 * trailing separator, so that the setting shows what it allows (`/srv/in/../..` is `/`, the
 * whole disk, as the checks always took it).
 */
export function folderForm(v: string): string {
  return resolve(v);
}

/** The settings table: defaults, types and one line of help each. */
export const SETTINGS: Readonly<Record<SettingKey, SettingSpec>> = {
  allowCliRun: { kind: "boolean", default: false, help: "`aft run` may run scripts" },
  maxConcurrentJobs: {
    kind: "integer",
    default: 4,
    min: 1,
    max: 256,
    help: "jobs running at once on this node",
  },
  jobTimeoutSeconds: {
    kind: "integer",
    default: 0,
    min: 0,
    help: "a job running longer is halted, then killed (0 = no limit)",
  },
  haltGraceSeconds: {
    kind: "integer",
    default: 10,
    min: 0,
    max: 3600,
    help: "time a halted script gets to finish before its runner is killed",
  },
  jobMemoryMiB: {
    kind: "integer",
    default: 512,
    min: 32,
    max: 65536,
    help: "heap limit of a job's runner process",
  },
  scriptWorkerReuse: {
    kind: "boolean",
    default: true,
    help:
      "a script's Worker serves later runs of the same script (each in a fresh context); false = a fresh Worker per run",
  },
  localRoots: {
    kind: "string[]",
    default: [],
    itemCheck: folderPath,
    itemForm: folderForm,
    help: "folders outside which scripts may not touch the local disk ([] = no limit)",
  },
  scriptRoots: {
    kind: "string[]",
    default: [],
    itemCheck: folderPath,
    itemForm: folderForm,
    help:
      "folders from which jobs may run a script file given by path (REST filePath, aft start -f; [] = none)",
  },
  transferConcurrency: {
    kind: "integer",
    // 8: for 2,000 small files over SFTP under `aft run` it measured faster than 16 (2.6 s
    // against 4.1 s), though 16 won when the copy engine ran alone (1.6 s against 2.1 s).
    default: 8,
    min: 1,
    max: 64,
    help: "files a CopyToVFS or MoveToVFS moves at once (a call's { concurrency } overrides)",
  },
  logMaxLineBytes: {
    kind: "integer",
    default: DEFAULT_LOG_MAX_LINE_BYTES,
    min: 1024,
    max: 16 * 1024 * 1024,
    help: "longer log lines are cut (UTF-8 bytes), ending with a note of their size",
  },
  logMaxBytesPerJob: {
    kind: "integer",
    default: DEFAULT_LOG_MAX_BYTES_PER_JOB,
    min: 65536,
    max: 64 * 1024 * 1024 * 1024,
    help:
      "a job's log keeps this many bytes (text + 32 a line); later lines are dropped and counted",
  },
  jobRetentionDays: {
    kind: "integer",
    default: 90,
    min: 1,
    help: "finished jobs and their logs are kept this long",
  },
  auditRetentionDays: {
    kind: "integer",
    default: 365,
    min: 1,
    help: "audit log entries are kept this long (and never less than jobRetentionDays)",
  },
  nodeLeaseSeconds: {
    kind: "integer",
    default: 30,
    min: 3,
    max: 3600,
    help: "a node that stops renewing its jobs for this long is taken for lost: its jobs fail",
  },
  listen: {
    kind: "string",
    default: "127.0.0.1:44399",
    network: true,
    check: (v) =>
      /^(\[[0-9A-Fa-f:.]+\]|[^\s:\[\]]+):(\d{1,5})$/.test(v) && Number(v.split(":").at(-1)) <= 65535
        ? undefined
        : "takes HOST:PORT, e.g. 0.0.0.0:44399 or [::]:44399",
    help: "address the service listens on (HOST:PORT; used at the next start of aft serve)",
  },
  corsOrigins: {
    kind: "string[]",
    default: [],
    network: true,
    help: "origins whose web pages may call the REST API (https://app.example.com), or *",
    itemCheck: (v) =>
      v === "*" || /^https?:\/\/(\[[0-9A-Fa-f:.]+\]|[A-Za-z0-9.-]+)(:\d{1,5})?$/.test(v)
        ? undefined
        : "takes origins (scheme://host[:port], no path) or *",
  },
  sessionLifetimeMinutes: {
    kind: "integer",
    default: 480,
    min: 1,
    network: true,
    help: "web UI session lifetime",
  },
  "smtp.host": { kind: "string", default: "", help: "SMTP server for SendMail" },
  "smtp.port": { kind: "integer", default: 587, min: 1, max: 65535, help: "SMTP port" },
  "smtp.tls": {
    kind: "enum",
    default: "starttls",
    values: ["none", "starttls", "tls"],
    help: "SMTP transport security",
  },
  "smtp.user": { kind: "string", default: "", help: "SMTP user name" },
  "smtp.passSecret": {
    kind: "string",
    default: "",
    help: "name of the secret holding the SMTP password",
  },
  "smtp.from": { kind: "string", default: "", help: "default sender address" },
  "smtp.caFile": {
    kind: "string",
    default: "",
    help: "PEM file of CA certificates trusted for the SMTP server besides the system's",
  },
};

function invalid(message: string): EngineError {
  return new EngineError("INVALID_REQUEST", message);
}

/** The defaults of every setting. */
export function defaultSettings(): Settings {
  const out: Record<string, unknown> = {};
  // Defaults are plain values or lists of strings: a copy of a list is enough.
  for (const [key, spec] of Object.entries(SETTINGS)) {
    out[key] = Array.isArray(spec.default) ? [...spec.default] : spec.default;
  }
  return out as unknown as Settings;
}

/** True when `key` names a setting. */
export function isSettingKey(key: string): key is SettingKey {
  return Object.hasOwn(SETTINGS, key);
}

/**
 * Parses a value given on the command line (or in JSON from the API) for `key`.
 * Lists accept JSON arrays (`["/data","/srv"]`) or comma-separated text.
 *
 * @throws {EngineError} INVALID_REQUEST for an unknown key or a value of the wrong type.
 */
export function parseSettingValue(key: string, raw: unknown): unknown {
  if (!isSettingKey(key)) {
    throw invalid(
      `Unknown setting "${key}": known settings are ${Object.keys(SETTINGS).join(", ")}`,
    );
  }
  const spec = SETTINGS[key];
  const text = typeof raw === "string" ? raw.trim() : raw;
  switch (spec.kind) {
    case "boolean":
      if (text === true || text === "true" || text === "on" || text === "1") return true;
      if (text === false || text === "false" || text === "off" || text === "0") return false;
      throw invalid(`Setting "${key}" takes true or false, not ${JSON.stringify(raw)}`);
    case "integer": {
      const n = typeof text === "number" ? text : /^-?\d+$/.test(String(text)) ? Number(text) : NaN;
      if (!Number.isSafeInteger(n)) {
        throw invalid(`Setting "${key}" takes a whole number, not ${JSON.stringify(raw)}`);
      }
      if (spec.min !== undefined && n < spec.min) {
        throw invalid(`Setting "${key}" must be at least ${spec.min}`);
      }
      if (spec.max !== undefined && n > spec.max) {
        throw invalid(`Setting "${key}" must be at most ${spec.max}`);
      }
      return n;
    }
    case "string": {
      if (typeof text !== "string") throw invalid(`Setting "${key}" takes a string`);
      const problem = spec.check?.(text);
      if (problem) throw invalid(`Setting "${key}" ${problem}, not ${JSON.stringify(text)}`);
      return text;
    }
    case "enum":
      if (typeof text !== "string" || !spec.values?.includes(text)) {
        throw invalid(`Setting "${key}" takes one of ${spec.values?.join(", ")}`);
      }
      return text;
    case "string[]": {
      if (Array.isArray(text)) {
        if (!text.every((v) => typeof v === "string")) {
          throw invalid(`Setting "${key}" takes a list of strings`);
        }
        for (const v of text) {
          const problem = spec.itemCheck?.(v);
          if (problem) throw invalid(`Setting "${key}" ${problem}, not "${escapeControls(v)}"`);
        }
        return spec.itemForm ? [...new Set(text.map(spec.itemForm))] : text;
      }
      if (typeof text !== "string") {
        throw invalid(`Setting "${key}" takes a list of strings`);
      }
      if (text.startsWith("[")) {
        let parsed: unknown;
        try {
          parsed = JSON.parse(text);
        } catch {
          throw invalid(`Setting "${key}": ${JSON.stringify(raw)} is not a JSON array`);
        }
        return parseSettingValue(key, parsed);
      }
      return parseSettingValue(
        key,
        text === "" ? [] : text.split(",").map((s) => s.trim()).filter((s) => s !== ""),
      );
    }
  }
}

/** Reads all settings, stored values over defaults. */
export async function loadSettings(store: Store): Promise<Settings> {
  const stored = await store.settings.all();
  const out = defaultSettings() as unknown as Record<string, unknown>;
  for (const [key, value] of Object.entries(stored)) {
    if (isSettingKey(key)) out[key] = value;
  }
  return out as unknown as Settings;
}

/** Validates and stores one setting; returns the parsed value. */
export async function saveSetting(store: Store, key: string, raw: unknown): Promise<unknown> {
  const value = parseSettingValue(key, raw);
  await store.settings.set(key, value);
  return value;
}

/** Keys that `aft reinit` resets. */
export function networkSettingKeys(): SettingKey[] {
  return (Object.keys(SETTINGS) as SettingKey[]).filter((k) => SETTINGS[k].network);
}
