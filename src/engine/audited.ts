/**
 * `engine.as(actor)`: the operations that change something, each followed by its audit entry
 * for that actor. What an entry says changed is chosen here, operation by operation, and never
 * holds a secret: a secret's name but not its value, a VFS entry's option names but not their
 * values, a job's parameter names, the settings changed with their new values (none of them is
 * a secret: the SMTP password is a secret's name).
 *
 * An entry is written after the operation succeeded; an operation that failed changed nothing
 * and is not recorded (sign-ins, recorded either way, are in `sessions.ts`).
 *
 * @module
 */

import type { AdminOps } from "./admins.ts";
import type { ApiKeyOps } from "./apikeys.ts";
import type { AuditRecorder } from "./audit.ts";
import type { JobOps } from "./jobs.ts";
import type { LocalRunOps } from "./local_run.ts";
import type { ScheduleOps } from "./schedule_ops.ts";
import type { ScriptOps } from "./scripts.ts";
import type { SecretOps } from "./secret_ops.ts";
import type { SettingsOps } from "./settings_ops.ts";
import type { VfsOps } from "./vfs_ops.ts";

/** The operation groups whose changes are recorded. */
export interface AuditedParts {
  jobs: JobOps & LocalRunOps;
  scripts: ScriptOps;
  vfs: VfsOps;
  secrets: SecretOps;
  apikeys: ApiKeyOps;
  schedules: ScheduleOps;
  settings: SettingsOps;
  admins: AdminOps;
}

/** A VFS target as recorded: a password in a URL (`sftp://u:pw@h`) is masked. */
export function redactTarget(target: string): string {
  return target.replace(/^([a-z][a-z0-9+.-]*:\/\/[^:/@\s]*):[^@/\s]*@/i, "$1:***@");
}

/** `parts` whose changing operations record their entries with `record`. */
export function audited(parts: AuditedParts, record: AuditRecorder): AuditedParts {
  const { jobs, scripts, vfs, secrets, apikeys, schedules, settings, admins } = parts;
  return {
    jobs: {
      ...jobs,
      // A job and its entry are stored in one transaction (the store's `jobs.create` with
      // an entry): a crash cannot leave a job that runs without its entry, and the accept
      // path pays for one commit instead of two.
      submit: (input) =>
        jobs.submit({
          ...input,
          audit: (job) =>
            record.entry("job.start", job.id, {
              script: job.scriptName,
              trigger: job.trigger,
              ...(job.filePath ? { filePath: job.filePath } : {}),
              params: Object.keys(job.params),
            }),
        }),
      rerun: (id, input) =>
        jobs.rerun(id, {
          ...input,
          audit: (job) =>
            record.entry("job.start", job.id, {
              script: job.scriptName,
              trigger: job.trigger,
              rerunOf: id,
              params: Object.keys(job.params),
            }),
        }),
      async halt(id) {
        const job = await jobs.halt(id);
        await record("job.halt", job.id, { script: job.scriptName, status: job.status });
        return job;
      },
    },
    scripts: {
      ...scripts,
      async create(input) {
        const s = await scripts.create(input);
        await record("script.create", s.name, { bytes: s.source.length });
        return s;
      },
      async put(input) {
        const r = await scripts.put(input);
        await record(r.replaced ? "script.update" : "script.create", r.script.name, {
          bytes: r.script.source.length,
        });
        return r;
      },
      async update(idOrName, patch) {
        const before = await scripts.get(idOrName);
        const s = await scripts.update(idOrName, patch);
        await record("script.update", s.name, {
          ...(s.name !== before.name ? { renamedFrom: before.name } : {}),
          sourceChanged: s.source !== before.source,
          bytes: s.source.length,
        });
        return s;
      },
      async remove(idOrName, opts) {
        const r = await scripts.remove(idOrName, opts);
        await record("script.remove", r.script.name, {
          ...(r.schedules.length ? { schedulesRemoved: r.schedules } : {}),
        });
        return r;
      },
    },
    vfs: {
      ...vfs,
      async add(def, opts) {
        const r = await vfs.add(def, opts);
        await record(r.replaced ? "vfs.replace" : "vfs.add", r.vfs.name, {
          type: r.vfs.type,
          target: redactTarget(r.vfs.target),
          options: Object.keys(r.vfs.options).sort(),
        });
        return r;
      },
      async remove(name) {
        await vfs.remove(name);
        await record("vfs.remove", name);
      },
      async update(name, patch) {
        const v = await vfs.update(name, patch);
        await record("vfs.update", v.name, {
          ...(v.name !== name ? { renamedFrom: name } : {}),
          ...(patch.target !== undefined ? { target: redactTarget(v.target) } : {}),
          // Option names only: a value may be a credential.
          ...(patch.options ? { options: Object.keys(patch.options).sort() } : {}),
          ...(patch.clear?.length ? { cleared: [...patch.clear].sort() } : {}),
        });
        return v;
      },
      // The file browser's changes (reading is not recorded).
      files: {
        ...vfs.files,
        async upload(name, path, body, opts) {
          const f = await vfs.files.upload(name, path, body, opts);
          await record("vfs.file.upload", `${name}:${path}`, { size: f.size });
          return f;
        },
        async mkdir(name, path) {
          const f = await vfs.files.mkdir(name, path);
          await record("vfs.file.mkdir", `${name}:${path}`);
          return f;
        },
        async rename(name, from, to) {
          const f = await vfs.files.rename(name, from, to);
          await record("vfs.file.rename", `${name}:${from}`, { to });
          return f;
        },
        async remove(name, path) {
          await vfs.files.remove(name, path);
          await record("vfs.file.remove", `${name}:${path}`);
        },
      },
    },
    secrets: {
      ...secrets,
      async set(name, value) {
        const r = await secrets.set(name, value);
        await record("secret.set", r.secret.name, { created: r.created });
        return r;
      },
      async remove(name) {
        await secrets.remove(name);
        await record("secret.remove", name);
      },
    },
    apikeys: {
      ...apikeys,
      async create(input) {
        const r = await apikeys.create(input);
        await record("apikey.create", r.record.name, {
          prefix: r.record.prefix,
          scopes: r.record.scopes,
          allow: r.record.allow,
        });
        return r;
      },
      async remove(idOrName) {
        await apikeys.remove(idOrName);
        await record("apikey.remove", idOrName);
      },
    },
    schedules: {
      ...schedules,
      async create(input) {
        const s = await schedules.create(input);
        await record("schedule.create", s.name, {
          script: s.script,
          cron: s.cron,
          params: Object.keys(s.params),
          ...(s.enabled ? {} : { enabled: false }),
        });
        return s;
      },
      async remove(idOrName) {
        await schedules.remove(idOrName);
        await record("schedule.remove", idOrName);
      },
      async update(idOrName, patch) {
        const r = await schedules.update(idOrName, patch);
        const changed = Object.keys(patch).filter((k) => k !== "params").sort();
        await record("schedule.update", r.name, {
          ...Object.fromEntries(
            changed.map((k) => [k, (r as unknown as Record<string, unknown>)[k]]),
          ),
          ...(patch.params !== undefined ? { params: Object.keys(r.params) } : {}),
        });
        return r;
      },
      async runNow(idOrName, input) {
        const job = await schedules.runNow(idOrName, input);
        await record("job.start", job.id, {
          script: job.scriptName,
          trigger: job.trigger,
          schedule: idOrName,
          params: Object.keys(job.params),
        });
        return job;
      },
    },
    settings: {
      ...settings,
      async set(key, value) {
        const v = await settings.set(key, value);
        await record("settings.update", key, { changes: { [key]: v } });
        return v;
      },
      async update(changes) {
        const after = await settings.update(changes);
        const stored = Object.fromEntries(
          Object.keys(changes).map((k) => [k, (after as unknown as Record<string, unknown>)[k]]),
        );
        await record("settings.update", Object.keys(changes).join(", "), { changes: stored });
        return after;
      },
      async resetNetwork() {
        const keys = await settings.resetNetwork();
        await record("settings.reset", keys.join(", "));
        return keys;
      },
      async testMail(to) {
        const r = await settings.testMail(to);
        await record("settings.testmail", r.to.join(", "), { messageId: r.messageId });
        return r;
      },
    },
    admins: {
      ...admins,
      async create(input) {
        const a = await admins.create(input);
        await record("admin.create", a.username);
        return a;
      },
      async remove(id) {
        const a = await admins.remove(id);
        await record("admin.remove", a.username, { sessionsEnded: true });
        return a;
      },
      async changePassword(id, input) {
        const r = await admins.changePassword(id, input);
        const a = await admins.get(id);
        await record("admin.password", a.username, { otherSessionsEnded: r.endedSessions });
        return r;
      },
      async totpConfirm(id, code) {
        await admins.totpConfirm(id, code);
        await record("admin.totp.enable", (await admins.get(id)).username);
      },
      async totpDisable(id, password) {
        await admins.totpDisable(id, password);
        await record("admin.totp.disable", (await admins.get(id)).username);
      },
    },
  };
}
