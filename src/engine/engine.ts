/**
 * `createEngine()`: the one object every command builds over the data directory.
 *
 * @example
 * ```ts
 * const engine = await createEngine({ dataDir: "/tmp/aft" });
 * const settings = await engine.settings.get();
 * await engine.close();
 * ```
 * @module
 */

import { openStore } from "../store/open.ts";
import type { Store } from "../store/types.ts";
import { canonicalNames } from "./canonical_names.ts";
import type { AdminOps } from "./admins.ts";
import type { ApiKeyOps } from "./apikeys.ts";
import { type Actor, cliActor, createAuditOps, recorder } from "./audit.ts";
import { audited } from "./audited.ts";
import { createBus } from "./bus.ts";
import { decrypt, encrypt, loadMasterKey } from "./crypto.ts";
import { ensureDataDir, resolveDataDir } from "./data_dir.ts";
import { EngineError, fromStoreError } from "./errors.ts";
import { createJobOps } from "./jobs.ts";
import { createLocalRunner } from "./local_run.ts";
import type { MaintenanceOps } from "./maintenance_ops.ts";
import { nodeIdFor } from "./node_id.ts";
import type { NodeOps } from "./node_ops.ts";
import { processOwner } from "./owner.ts";
import type { ScheduleOps } from "./schedule_ops.ts";
import { createScriptOps } from "./scripts.ts";
import type { SecretOps } from "./secret_ops.ts";
import { createService, reconcile } from "./service.ts";
import { readServiceFiles, serviceUp } from "./service_file.ts";
import type { SessionOps } from "./sessions.ts";
import { loadSettings, type Settings } from "./settings.ts";
import type { SettingsOps } from "./settings_ops.ts";
import type { SetupOps } from "./setup.ts";
import { lazyOps } from "./lazy_ops.ts";
import { createFailureOps } from "./throttle.ts";
import type { Engine } from "./surface.ts";
import type { EngineCore, Secrets } from "./types.ts";
import { createVfsLibrary } from "./vfs_library.ts";
import type { VfsOps } from "./vfs_ops.ts";
import type { VfsFileOps } from "./vfs_files.ts";
import { mark } from "../timings.ts";

export interface EngineOptions {
  /** The data directory (default: `$AFT_HOME`, else the platform's). */
  dataDir?: string;
  /** A store to use instead of the configured one (migrated here). */
  store?: Store;
  /**
   * The store to open (`postgres://...` or `sqlite:PATH`, the `--store` flag); default
   * `$AFT_STORE`, else `store` in the data directory's `config.json`, else `DATA/aft.db`.
   */
  storeUrl?: string;
  /** Where the engine says what it repaired (default: stderr). */
  log?: (msg: string) => void;
  /**
   * Who the engine's operations are recorded as in the audit log (default: the CLI's OS user,
   * `{ kind: "cli" }`); `engine.as(actor)` acts as another.
   */
  actor?: Actor;
  /** This node's name (`aft serve --node`); default `$AFT_NODE`, else see `node_id.ts`. */
  node?: string;
}

/**
 * Opens the engine: data directory, store (see `EngineOptions.storeUrl`; migrated), secrets,
 * VFS Library, event bus.
 */
export async function createEngine(opts: EngineOptions = {}): Promise<Engine> {
  const dataDir = resolveDataDir(opts.dataDir);
  ensureDataDir(dataDir, { log: opts.log ?? ((m) => console.error(`aft: ${m}`)) });
  mark("data directory checked");
  let store: Store;
  try {
    if (opts.store) {
      store = opts.store;
      mark("store opened");
      await store.migrate();
    } else {
      store = await openStore({ dataDir, store: opts.storeUrl });
      mark("store opened");
    }
    mark("migrations checked");
  } catch (err) {
    const e = fromStoreError(err);
    throw e instanceof EngineError && e.code !== "STORE_CORRUPT"
      ? e
      : new EngineError("STORE_CORRUPT", (err as Error).message, { cause: err });
  }
  let node: string;
  try {
    node = await nodeIdFor({ dataDir, kind: store.kind, given: opts.node });
  } catch (err) {
    await store.close();
    throw err;
  }
  const core = createCore(dataDir, store, node);
  const owner = processOwner();
  const jobs = createJobOps(core, {
    owner,
    stopping: () => service.ops.stopping(),
    wake: () => service.runners.wake(),
    halt: (id) => service.runners.halt(id),
  });
  const local = createLocalRunner(core, {
    owner,
    find: jobs.find,
    beforeFirstRun: async () => {
      await reconcile(core, owner, { ownerless: false });
    },
  });
  const service = createService(core, {
    owner,
    // A job a schedule starts is recorded with the schedule as its actor.
    async fire(s, next) {
      const job = await jobs.fireSchedule(s, next);
      if (job) {
        await recorder(core, { kind: "schedule", name: s.name })("job.start", job.id, {
          script: job.scriptName,
          trigger: "schedule",
          params: Object.keys(job.params),
        }).catch((err) => console.error(`aft: cannot record a schedule's job: ${err}`));
      }
      return job;
    },
    haltHere: local.halt,
  });
  const failures = createFailureOps(core);
  // The groups but jobs and scripts are loaded on their first call (see lazy_ops.ts): `aft run`
  // uses none of them.
  const parts = {
    jobs: { ...jobs.ops, ...local.ops },
    scripts: createScriptOps(core),
    vfs: {
      ...lazyOps<Omit<VfsOps, "files">>(
        async () => (await import("./vfs_ops.ts")).createVfsOps(core),
        { list: true, get: true, add: true, remove: true, update: true, test: true },
      ),
      files: lazyOps<VfsFileOps>(
        async () => (await import("./vfs_files.ts")).createVfsFileOps(core),
        {
          list: true,
          existing: true,
          download: true,
          upload: true,
          mkdir: true,
          rename: true,
          remove: true,
        },
      ),
    },
    secrets: lazyOps<SecretOps>(
      async () => (await import("./secret_ops.ts")).createSecretOps(core),
      { list: true, set: true, remove: true },
    ),
    apikeys: lazyOps<ApiKeyOps>(
      async () => (await import("./apikeys.ts")).createApiKeyOps(core),
      { create: true, list: true, remove: true, authenticate: true, lockedOut: true },
    ),
    schedules: lazyOps<ScheduleOps>(
      async () =>
        (await import("./schedule_ops.ts")).createScheduleOps(core, { submit: jobs.ops.submit }),
      {
        list: true,
        get: true,
        create: true,
        remove: true,
        update: true,
        runNow: true,
        preview: true,
      },
    ),
    settings: lazyOps<SettingsOps>(
      async () => (await import("./settings_ops.ts")).createSettingsOps(core),
      { get: true, set: true, update: true, resetNetwork: true, testMail: true },
    ),
    admins: lazyOps<AdminOps>(
      async () => (await import("./admins.ts")).createAdminOps(core, failures),
      {
        list: true,
        get: true,
        create: true,
        remove: true,
        changePassword: true,
        totpBegin: true,
        totpPending: true,
        totpConfirm: true,
        totpDisable: true,
      },
    ),
  };
  const shared = {
    dataDir,
    node: core.node,
    storeInfo: { kind: store.kind, location: store.location },
    bus: core.bus,
    sessions: lazyOps<SessionOps>(
      async () => (await import("./sessions.ts")).createSessionOps(core, failures),
      { signIn: true, signInTotp: true, check: true, signOut: true, list: true },
    ),
    setup: lazyOps<SetupOps>(
      async () => (await import("./setup.ts")).createSetupOps(core, failures),
      { needed: true, hasCode: true, issueCode: true, complete: true },
    ),
    audit: createAuditOps(core),
    failures,
    nodes: lazyOps<NodeOps>(
      async () => (await import("./node_ops.ts")).createNodeOps(core),
      { list: true, get: true, drain: true },
    ),
    service: service.ops,
    maintenance: {
      store: () => ({ kind: store.kind ?? "sqlite", location: store.location ?? dataDir }),
      ...lazyOps<Omit<MaintenanceOps, "store">>(
        async () => (await import("./maintenance_ops.ts")).createMaintenanceOps(core),
        { integrityCheck: true, checkMasterKey: true, failRunning: true, backup: true },
      ),
    },
    async close() {
      await local.close();
      await core.close();
      mark("engine closed");
    },
  };
  const actingAs = (actor: Actor): Engine => {
    const record = recorder(core, actor);
    return {
      ...shared,
      ...audited(parts, record),
      actor,
      as: actingAs,
      async reinit() {
        const svc = await readServiceFiles(dataDir);
        if (svc && await serviceUp(svc.info)) {
          throw new EngineError(
            "SERVICE_RUNNING",
            `The service is running (pid ${svc.info.pid}, ${svc.info.listen}): stop it before aft reinit`,
          );
        }
        try {
          const settings = await parts.settings.resetNetwork();
          const admins = await store.admins.removeAll();
          await record("reinit", null, { settingsReset: settings, adminsRemoved: admins });
          return { settings, admins };
        } catch (err) {
          throw fromStoreError(err);
        }
      },
    };
  };
  return actingAs(opts.actor ?? await cliActor());
}

/** The parts every operation shares: store, secrets, VFS Library, bus, settings. */
export function createCore(
  dataDir: string,
  rawStore: Store,
  node: string = Deno.hostname(),
): EngineCore {
  // Every name looked up, created or renamed through the engine is canonical (NFC) here.
  const store = canonicalNames(rawStore);
  // The master key is loaded on first use, so commands that touch no secret do not create it.
  let key: Promise<CryptoKey> | undefined;
  const masterKey = () => key ??= loadMasterKey(dataDir);
  const secrets: Secrets = {
    async get(name) {
      const rec = await store.secrets.getByName(name);
      return rec ? await decrypt(await masterKey(), rec.valueEnc) : undefined;
    },
    async set(name, value) {
      return await store.secrets.put(name, await encrypt(await masterKey(), value));
    },
    async list() {
      return (await store.secrets.list()).map(({ valueEnc: _, ...meta }) => meta);
    },
    remove: (name) => store.secrets.remove(name),
    encrypt: async (plain) => encrypt(await masterKey(), plain),
    decrypt: async (cipher) => decrypt(await masterKey(), cipher),
  };
  // Settings are read often (each job, each queue pass); another process may change them, so
  // a read is reused for at most a second.
  let cached: { at: number; value: Promise<Settings> } | undefined;
  const settings = (fresh = false) => {
    const now = Date.now();
    if (fresh || !cached || now - cached.at > 1000) {
      cached = { at: now, value: loadSettings(store) };
      cached.value.catch(() => cached = undefined);
    }
    return cached.value;
  };
  return {
    dataDir,
    node,
    store,
    secrets,
    vfs: createVfsLibrary(store, secrets),
    bus: createBus(),
    settings,
    close: () => store.close(),
  };
}
