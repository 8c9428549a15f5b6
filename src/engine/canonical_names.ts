/**
 * Names are canonical in Unicode NFC. "café" can be written with U+00E9 or as "e" + U+0301; the
 * two read the same in the console, the CLI and logs, so they are one name. `checkName` turns
 * every name that is created or given by a rename into NFC; `canonicalNames(store)` is the one
 * place where a name is looked up: every engine operation reaches the store through it (REST
 * path parameters, CLI arguments, `VirtualFSByName(name)`, `GetSecret(name)`, a schedule's
 * script, the job history's filter by script, a sign-in's user name), and it
 *
 * - looks a name up in NFC, then as it was given (a record an older version stored under a name
 *   not in NFC, asked for in that spelling), then, for a name that is not plain ASCII, among all
 *   records by `nameKey` (that record, asked for in another spelling);
 * - refuses a record whose name differs from another's only in normalisation (or case, for the
 *   names that match case-insensitively) as ALREADY_EXISTS, as the store refuses a name taken;
 * - sets a secret that an older version stored under another spelling in that record, so a
 *   secret is never held twice.
 *
 * `aft doctor` names the records stored under a name not in NFC, by ID, and how to fix them.
 *
 * @example
 * ```ts
 * nameKey(" Cafe\u0301 "); // "caf\u00e9"
 * isCanonicalName("cafe\u0301"); // false
 * ```
 * @module
 */

import { StoreError } from "../store/types.ts";
import type { Store } from "../store/types.ts";

/** What names are compared by: trimmed, NFC and lower case (secrets: case kept). */
export function nameKey(name: string, opts: { caseSensitive?: boolean } = {}): string {
  const n = name.trim().normalize("NFC");
  return opts.caseSensitive ? n : n.toLowerCase();
}

/** True when `name` is in NFC, as every name stored from this version on is. */
export function isCanonicalName(name: string): boolean {
  return name === name.normalize("NFC");
}

/** Plain ASCII is its own NFC: no other spelling of it can have been stored. */
const ASCII = /^\p{ASCII}*$/u;

interface Named {
  id?: string;
  name: string;
}

/** How one kind of record is found and listed, for `lookup` and `refuseTwin`. */
interface Kind<T> {
  what: string;
  by(name: string): Promise<T | undefined>;
  all(): Promise<T[]>;
  caseSensitive?: boolean;
  /** Set by `canonicalNames`: see `legacyNames`. */
  legacy?: () => Promise<boolean>;
}

/** How long a kind's "records stored under a name not in NFC" answer is kept. */
const LEGACY_CHECK_MS = 60_000;

/**
 * Whether `kind` has records stored under a name not in NFC (only an older version stored
 * such names), asked at most once a minute: without it, every lookup of a non-ASCII name
 * that is not there would list the whole kind (for scripts, every script's source), which a
 * caller could repeat at will.
 */
function legacyNames<T extends Named>(kind: Kind<T>): () => Promise<boolean> {
  let answer: { at: number; has: Promise<boolean> } | undefined;
  return () => {
    if (!answer || Date.now() - answer.at > LEGACY_CHECK_MS) {
      const has = kind.all().then((all) => all.some((r) => !isCanonicalName(r.name)));
      answer = { at: Date.now(), has };
      has.catch(() => answer = undefined);
    }
    return answer.has;
  };
}

/** The record named `name` in any spelling (see the module note), or undefined. */
async function lookup<T extends Named>(kind: Kind<T>, name: string): Promise<T | undefined> {
  const nfc = name.normalize("NFC");
  const found = await kind.by(nfc) ?? (nfc === name ? undefined : await kind.by(name));
  if (found || ASCII.test(name) || !(await kind.legacy!())) return found;
  const key = nameKey(name, kind);
  return (await kind.all()).find((r) => nameKey(r.name, kind) === key);
}

/** ALREADY_EXISTS when another record than `self` has `name` in another spelling. */
async function refuseTwin<T extends Named>(kind: Kind<T>, name: string, self?: string) {
  // An ASCII name has no other spelling; one that differs only in case is the store's to
  // refuse (its unique lower-cased key), as before.
  if (ASCII.test(name)) return;
  const key = nameKey(name, kind);
  const twin = (await kind.all()).find((r) =>
    (self === undefined || r.id !== self) && nameKey(r.name, kind) === key
  );
  if (twin) throw new StoreError("ALREADY_EXISTS", `${kind.what} named "${name}" already exists`);
}

const nfc = (name: string) => name.normalize("NFC");

/**
 * `create` and `update` of a kind whose records are named by `name`: the name stored in NFC,
 * and refused when another record has it in another spelling.
 */
function namedWrites<I extends { name: string }, P extends { name?: string }, R>(
  kind: Kind<Named>,
  ops: { create(input: I): Promise<R>; update(id: string, patch: P): Promise<R> },
): { create(input: I): Promise<R>; update(id: string, patch: P): Promise<R> } {
  return {
    async create(input) {
      const name = nfc(input.name);
      await refuseTwin(kind, name);
      return await ops.create({ ...input, name });
    },
    async update(id, patch) {
      if (patch.name === undefined) return await ops.update(id, patch);
      const name = nfc(patch.name);
      await refuseTwin(kind, name, id);
      return await ops.update(id, { ...patch, name });
    },
  };
}

/**
 * `store`, its names canonical (see the module note); everything else passes through to it.
 * Applied once, where the engine's core is made (`createCore`).
 */
export function canonicalNames(store: Store): Store {
  const scripts: Kind<Awaited<ReturnType<Store["scripts"]["list"]>>[number]> = {
    what: "A script",
    by: (n) => store.scripts.getByName(n),
    all: () => store.scripts.list(),
  };
  const vfs: Kind<Awaited<ReturnType<Store["vfs"]["list"]>>[number]> = {
    what: "A VFS",
    by: (n) => store.vfs.getByName(n),
    all: () => store.vfs.list(),
  };
  const secrets: Kind<Awaited<ReturnType<Store["secrets"]["list"]>>[number]> = {
    what: "A secret",
    by: (n) => store.secrets.getByName(n),
    all: () => store.secrets.list(),
    caseSensitive: true,
  };
  const apikeys: Kind<Awaited<ReturnType<Store["apikeys"]["list"]>>[number]> = {
    what: "An API key",
    by: async (n) => {
      const key = n.trim().toLowerCase();
      return (await store.apikeys.list()).find((k) => k.id === n || k.name.toLowerCase() === key);
    },
    all: () => store.apikeys.list(),
  };
  const schedules: Kind<Awaited<ReturnType<Store["schedules"]["list"]>>[number]> = {
    what: "A schedule",
    by: (n) => store.schedules.get(n),
    all: () => store.schedules.list(),
  };
  type Admin = Awaited<ReturnType<Store["admins"]["list"]>>[number];
  const admins: Kind<Named & Admin> = {
    what: "An admin",
    by: async (n) => {
      const a = await store.admins.getByName(n);
      return a && { ...a, name: a.username };
    },
    all: async () => (await store.admins.list()).map((a) => ({ ...a, name: a.username })),
  };
  for (const kind of [scripts, vfs, secrets, apikeys, schedules, admins] as Kind<Named>[]) {
    kind.legacy = legacyNames(kind);
  }
  const overrides: Partial<Store> = {
    scripts: over(store.scripts, {
      getByName: (name) => lookup(scripts, name),
      ...namedWrites(scripts, store.scripts),
    }),
    vfs: over(store.vfs, {
      getByName: (name) => lookup(vfs, name),
      ...namedWrites(vfs, store.vfs),
    }),
    secrets: over(store.secrets, {
      getByName: (name) => lookup(secrets, name),
      async put(name, valueEnc) {
        // Into the record of that name in any spelling: an older one keeps its spelling.
        const existing = await lookup(secrets, name);
        return await store.secrets.put(existing?.name ?? nfc(name), valueEnc);
      },
      async remove(name) {
        const existing = await lookup(secrets, name);
        return await store.secrets.remove(existing?.name ?? name);
      },
    }),
    apikeys: over(store.apikeys, {
      async create(input) {
        await refuseTwin(apikeys, nfc(input.name));
        return await store.apikeys.create({ ...input, name: nfc(input.name) });
      },
      async remove(idOrName) {
        if (await store.apikeys.remove(nfc(idOrName))) return true;
        if (nfc(idOrName) !== idOrName && await store.apikeys.remove(idOrName)) return true;
        const found = ASCII.test(idOrName) ? undefined : await lookup(apikeys, idOrName);
        return found ? await store.apikeys.remove(found.id) : false;
      },
    }),
    schedules: over(store.schedules, {
      get: (idOrName) => lookup(schedules, idOrName),
      ...namedWrites(schedules, store.schedules),
      async remove(idOrName) {
        const found = await lookup(schedules, idOrName);
        return found ? await store.schedules.remove(found.id) : false;
      },
    }),
    jobs: over(store.jobs, {
      // Jobs are recorded under their script's name, in NFC for names stored from now on.
      list: (filter) =>
        store.jobs.list(
          filter?.script === undefined ? filter : { ...filter, script: nfc(filter.script) },
        ),
    }),
    admins: over(store.admins, {
      getByName: async (username) => {
        const a = await lookup(admins, username);
        if (!a) return undefined;
        const { name: _, ...admin } = a;
        return admin as Admin;
      },
      async create(input) {
        await refuseTwin(admins, nfc(input.username));
        return await store.admins.create({ ...input, username: nfc(input.username) });
      },
      createFirst: (input) => store.admins.createFirst({ ...input, username: nfc(input.username) }),
    }),
  };
  return over(store, overrides);
}

/**
 * `base` with `changes` in place of some of its members; every other one is `base`'s own, called
 * on `base` (a class's private fields are not the proxy's).
 */
function over<T extends object>(base: T, changes: Partial<T>): T {
  // Bound once per function (the log lines of every job come through here), and again when a
  // member is replaced on `base` (tests wrap store methods that way).
  const bound = new WeakMap<object, unknown>();
  return new Proxy(base, {
    get(target, prop) {
      if (Object.hasOwn(changes, prop)) return changes[prop as keyof T];
      const v = Reflect.get(target, prop, target);
      if (typeof v !== "function") return v;
      let b = bound.get(v);
      if (b === undefined) bound.set(v, b = v.bind(target));
      return b;
    },
  });
}
