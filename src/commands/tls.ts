/**
 * `aft tls trust` and `aft tls untrust`: put the service's local CA (`DATA/tls/ca.pem`, made
 * on the first `aft serve` or here) into the operating system's trust store, so that clients of
 * that store (curl, wget, Python, .NET, ...) accept `https://127.0.0.1:44399` without `-k`; and
 * take out exactly what was put in. Changing the store needs root (an administrator on
 * Windows): as another user, the commands run through `sudo` where there is one.
 *
 * @module
 */

import { join } from "node:path";
import { CliError, UsageError } from "../errors.ts";
import { ensureDataDir, resolveDataDir } from "../engine/data_dir.ts";
import { caFile } from "../engine/service_file.ts";
import { loadOrCreateTls } from "../api/tls.ts";
import {
  detectStore,
  entryFor,
  findCommand,
  readRecord,
  recordFile,
  type Step,
  type StoreKind,
  trustSteps,
  untrustSteps,
  writeRecord,
} from "../api/trust_store.ts";

const STORE_NAMES: Record<StoreKind, string> = {
  debian: "system trust store",
  redhat: "system trust store",
  macos: "System keychain",
  windows: "machine's Root certificate store",
};

/**
 * How to run a command that changes the trust store: directly (root, or Windows, where
 * certutil itself refuses a non-administrator), through sudo (prompting on a terminal, never
 * elsewhere), or not at all (an error that says root is needed).
 */
export function privilegePrefix(
  os: typeof Deno.build.os,
  uid: number | null,
  sudo: string | undefined,
  terminal: boolean,
  action: string,
): string[] {
  if (os === "windows" || uid === 0) return [];
  if (sudo) return terminal ? [sudo] : [sudo, "-n"];
  throw new CliError(
    `Changing the system trust store needs root: run "aft tls ${action}" as root (sudo is not installed)`,
  );
}

/** Entry of `aft tls`. */
export default async function tls(
  action: string,
  args: string[],
  opts: Record<string, unknown>,
): Promise<number> {
  if (args.length > 0) throw new UsageError(`aft tls ${action} takes no arguments`);
  const dataDir = resolveDataDir(opts.data as string | undefined);
  const store = await detectStore();
  if (!store) {
    throw new CliError(
      `No system trust store known on this machine: give clients the CA file "${
        caFile(dataDir)
      }" instead (curl --cacert FILE)`,
    );
  }
  const prefix = privilegePrefix(
    Deno.build.os,
    Deno.uid(),
    await findCommand("sudo"),
    Deno.stdin.isTerminal(),
    action,
  );
  if (prefix.length > 0) {
    console.error(`aft: the system trust store is changed by root only: asking ${prefix[0]}`);
  }
  return action === "trust"
    ? await trust(dataDir, store, prefix)
    : await untrust(dataDir, store, prefix);
}

async function trust(dataDir: string, store: StoreKind, prefix: string[]): Promise<number> {
  ensureDataDir(dataDir);
  const material = await loadOrCreateTls(dataDir);
  if (!material.ca) throw new CliError(`No local CA in "${join(dataDir, "tls")}"`);
  const entry = await entryFor(store, material.ca);
  await runSteps(trustSteps(entry, caFile(dataDir)), prefix, "trust");
  const kept = (await readRecord(dataDir)).filter((e) =>
    !(e.store === entry.store && e.sha256 === entry.sha256)
  );
  await writeRecord(dataDir, [...kept, entry]);
  await giveToDataDirOwner(dataDir);
  console.error(
    `aft: added the local CA of ${dataDir} (SHA-256 ${entry.sha256.slice(0, 16)}...) to the ` +
      `${STORE_NAMES[store]}${entry.file ? ` as ${entry.file}` : ""}; ` +
      "undo with aft tls untrust",
  );
  return 0;
}

async function untrust(dataDir: string, store: StoreKind, prefix: string[]): Promise<number> {
  const entries = await readRecord(dataDir);
  if (entries.length === 0) {
    console.error(`aft: nothing to remove: aft tls trust has added no CA from ${dataDir}`);
    return 0;
  }
  const left = [...entries];
  for (const entry of entries) {
    if (entry.store !== store) {
      console.error(
        `aft: left the entry for the ${entry.store} store alone: this machine has ${store}`,
      );
      continue;
    }
    const tmp = await Deno.makeTempFile({ prefix: "aft-ca-", suffix: ".pem" });
    try {
      await Deno.writeTextFile(tmp, entry.pem);
      await runSteps(untrustSteps(entry, tmp), prefix, "untrust");
    } finally {
      await Deno.remove(tmp).catch(() => {});
    }
    left.splice(left.indexOf(entry), 1);
    await writeRecord(dataDir, left); // what is out is out, should a later entry fail
    console.error(
      `aft: removed the local CA (SHA-256 ${entry.sha256.slice(0, 16)}...) from the ` +
        `${STORE_NAMES[store]}`,
    );
  }
  return 0;
}

async function runSteps(steps: Step[], prefix: string[], action: string): Promise<void> {
  for (const step of steps) {
    const hold = step.onlyIfFileHolds;
    if (hold) {
      const now = await Deno.readTextFile(hold.file).catch(() => undefined);
      if (now === undefined) continue; // already gone
      if (now.trim() !== hold.pem.trim()) {
        console.error(`aft: left ${hold.file} alone: it no longer holds the CA aft added`);
        continue;
      }
    }
    const [name, ...rest] = step.argv;
    const cmd = (await findCommand(name!)) ?? name!;
    const argv = [...prefix, cmd, ...rest];
    console.error(`aft: running ${argv.join(" ")}`);
    let out: Deno.CommandOutput;
    try {
      out = await new Deno.Command(argv[0]!, {
        args: argv.slice(1),
        stdin: prefix.length > 0 && !prefix.includes("-n") ? "inherit" : "null",
        stdout: "piped",
        stderr: "piped",
      }).output();
    } catch (err) {
      throw new CliError(`Cannot run "${argv[0]}": ${(err as Error).message}`, 1, { cause: err });
    }
    if (out.success) continue;
    const text = new TextDecoder().decode(out.stderr) + new TextDecoder().decode(out.stdout);
    if (prefix.includes("-n") && /password is required/i.test(text)) {
      throw new CliError(
        `Changing the system trust store needs root, and sudo wants a password that only a terminal can give: run "sudo aft tls ${action}", or run it in a terminal`,
      );
    }
    if (Deno.build.os === "windows" && /0x80070005|access is denied/i.test(text)) {
      throw new CliError(
        `Changing the machine's Root certificate store needs an administrator: run "aft tls ${action}" from an elevated prompt (Run as administrator)`,
      );
    }
    if (prefix.length === 0 && Deno.uid() !== 0 && /permission denied|not permitted/i.test(text)) {
      throw new CliError(
        `Changing the system trust store needs root: run "aft tls ${action}" as root`,
      );
    }
    const last = text.trim().split(/\r?\n/).filter(Boolean).at(-1) ?? "no output";
    throw new CliError(`"${step.argv.join(" ")}" failed with exit code ${out.code}: ${last}`);
  }
}

/** Run as root for another user's data directory, the record stays that user's. */
async function giveToDataDirOwner(dataDir: string): Promise<void> {
  if (Deno.build.os === "windows" || Deno.uid() !== 0) return;
  const st = await Deno.stat(dataDir);
  if (st.uid === null || st.uid === 0) return;
  await Deno.chown(recordFile(dataDir), st.uid, st.gid);
}
