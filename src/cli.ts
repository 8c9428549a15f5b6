/**
 * The `aft` command line: parses argv and dispatches to `src/commands/`. Command modules are
 * loaded only when their command runs, so `aft version` does not pay for the engine.
 *
 * @module
 */

import { Command, CommanderError, Option } from "commander";
import { CliError, EXIT_USAGE, reportError, UsageError } from "./errors.ts";
import { VERSION } from "./version.ts";
import { mark } from "./timings.ts";

/**
 * What every command module exports: runs `action` and returns the exit code. Each module
 * types its own options (`RunOptions`, `ScriptOptions`, ...), the fields commander gives for
 * the flags declared below.
 */
export type CommandModule = {
  default(action: string, args: string[], opts: never): Promise<number | void>;
};

// Literal import() calls so `deno compile` includes every command module.
const loaders: Record<string, () => Promise<CommandModule>> = {
  run: () => import("./commands/run.ts"),
  settings: () => import("./commands/settings.ts"),
  script: () => import("./commands/script.ts"),
  vfs: () => import("./commands/vfs.ts"),
  secret: () => import("./commands/secret.ts"),
  jobs: () => import("./commands/jobs.ts"),
  serve: () => import("./commands/serve.ts"),
  start: () => import("./commands/start.ts"),
  apikey: () => import("./commands/apikey.ts"),
  schedule: () => import("./commands/schedule.ts"),
  reinit: () => import("./commands/reinit.ts"),
  types: () => import("./commands/types.ts"),
  tls: () => import("./commands/tls.ts"),
  svc: () => import("./commands/svc.ts"),
  backup: () => import("./commands/backup.ts"),
  restore: () => import("./commands/restore.ts"),
  doctor: () => import("./commands/doctor.ts"),
  audit: () => import("./commands/audit.ts"),
  nodes: () => import("./commands/nodes.ts"),
  store: () => import("./commands/store.ts"),
};

let exitCode = 0;

function dispatch(module: string, action = module) {
  return async (...argv: unknown[]) => {
    const cmd = argv.at(-1) as Command;
    const positional = argv.slice(0, -2).flatMap((a) =>
      Array.isArray(a) ? a.map(String) : a === undefined ? [] : [String(a)]
    );
    const load = loaders[module];
    if (!load) throw new CliError(`Unknown command "${module}"`, EXIT_USAGE);
    mark("command line parsed");
    const mod = await load();
    mark(`command module loaded (${module})`);
    exitCode = (await mod.default(action, positional, cmd.optsWithGlobals() as never)) ?? 0;
  };
}

function collect(value: string, previous: string[] = []): string[] {
  return [...previous, value];
}

const JSON_HELP = "print JSON only";

/** Builds the command tree. Exported for the help test. */
export function buildProgram(): Command {
  const program = new Command("aft")
    .description(
      "Scriptable automated file transfer: run SyncJS scripts, serve the REST API and web UI, " +
        "and move files between local disk, SFTP, FTP(S), S3, Azure Blob and GCS.",
    )
    .option("--data <dir>", "data directory (default: $AFT_HOME, else ~/.aft)")
    .option("--debug", "print stack traces on errors")
    .showHelpAfterError("(run with --help for usage)")
    .exitOverride()
    .configureHelp({
      sortSubcommands: false,
      showGlobalOptions: true,
      // "restore <file>", not "restore [options] <file>": every summary fits its line.
      subcommandTerm: (cmd) =>
        [
          cmd.name(),
          ...cmd.registeredArguments.map((a) => a.required ? `<${a.name()}>` : `[${a.name()}]`),
        ]
          .join(" "),
    });

  const version = `aft ${VERSION} (deno ${Deno.version.deno}, ${Deno.build.target})`;
  // `aft --version` and `-V` as most tools have them, beside the `version` command.
  program.version(version, "-V, --version", "print the version");
  program.command("version").description("print the version").action(() => console.log(version));

  program.command("serve")
    .summary("run the service: REST API, web UI, job queue, schedules")
    .description(
      "run the service in the foreground: HTTPS REST API, job queue and schedules " +
        "(stops gracefully on Ctrl-C or SIGTERM)",
    )
    .option(
      "--listen <host:port>",
      "address to listen on (default: setting listen, 127.0.0.1:44399)",
    )
    .option(
      "--tls-cert <file>",
      "PEM certificate (default: a self-signed one in the data directory)",
    )
    .option("--tls-key <file>", "PEM private key for --tls-cert")
    .option("--node <name>", "this node's name (default: $AFT_NODE, else from the host name)")
    .option(
      "--store <url>",
      "store: postgres://USER:PASSWORD@HOST:PORT/DB[?sslmode=...&sslrootcert=CA] or sqlite:PATH " +
        "(default: $AFT_STORE, else store in DATA/config.json, else DATA/aft.db)",
    )
    .addOption(new Option("--log-format <format>", "log line format").choices(["text", "json"]))
    .option("--log-max-size <size>", "rotate DATA/logs/aft.log at this size (default: 10MiB)")
    .option("--log-files <n>", "rotated log files kept (default: 5)")
    .option("--quiet", "only warnings and errors on standard error (the log file has all)")
    .addOption(new Option("--windows-service").hideHelp())
    .action(dispatch("serve"));

  program.command("start")
    .summary("queue a stored script on a running service")
    .description(
      "queue a stored script (or a file) on a running service and print the job ID; " +
        "with --wait, follow its log and exit with the job's exit code",
    )
    .option("-n, --name <name>", "stored script name (case-insensitive)")
    .option("--scriptid <id>", "stored script ID (AFT! v3 integrations)")
    .option("-f, --file <path>", "script file on the service's machine (key needs the files scope)")
    .option("-a, --apikey <key>", "API key (default: $AFT_API_KEY)")
    .option("-p, --params <json>", 'parameters: {"k":"v"} or [{"name":"k","value":"v"}]')
    .option(
      "--host <host:port>",
      "service address (default: the service running on the data directory, else 127.0.0.1:44399)",
    )
    .option("--wait", "follow the job's log and exit with its exit code")
    .option("--ca-cert <file>", "trust this CA certificate (PEM) for the service")
    .option("--insecure", "do not check the service's TLS certificate")
    .option("--timings", "print on stderr, at exit, where the time went (also AFT_TIMINGS=1)")
    .action(dispatch("start"));

  program.command("run")
    .summary("run a .syncjs file to completion here (exit code 0 or 1)")
    .description(
      "run a .syncjs script file to completion in this process, printing its log " +
        "(exit 0 on success, 1 on failure; needs the setting allowCliRun)",
    )
    .requiredOption("-f, --file <path>", "script file (.syncjs, .js or .ts)")
    .option("-p, --params <json>", 'parameters: {"k":"v"} or [{"name":"k","value":"v"}]')
    .option("--no-progress", "do not show a progress line on a terminal")
    .option("--timings", "print on stderr, at exit, where the time went (also AFT_TIMINGS=1)")
    .action(dispatch("run"));

  const settings = program.command("settings").description("read and change service settings");
  settings.command("get").argument("[key]").description("print one setting or all of them")
    .option("--json", JSON_HELP).action(dispatch("settings", "get"));
  settings.command("set").argument("<key>").argument("<value>")
    .description("change a setting, e.g. `aft settings set allowCliRun true`")
    .action(dispatch("settings", "set"));

  const script = program.command("script").description("manage stored scripts");
  script.command("add").argument("<name>").requiredOption("-f, --file <path>", "script file")
    .option("--replace", "replace the script if one has that name")
    .description("store a script under a name").action(dispatch("script", "add"));
  script.command("list").option("--json", JSON_HELP).description("list stored scripts")
    .action(dispatch("script", "list"));
  script.command("show").argument("<name>").option("--json", JSON_HELP)
    .description("print a stored script").action(dispatch("script", "show"));
  script.command("rm").argument("<name>")
    .option("--force", "also remove the schedules that run the script")
    .description("remove a stored script (refused while schedules run it, unless --force)")
    .action(dispatch("script", "rm"));

  const vfs = program.command("vfs").description("manage the VFS Library (named connections)");
  vfs.command("add").argument("<name>")
    .addOption(
      new Option("--type <type>", "backend type").choices([
        "disk",
        "sftp",
        "ftp",
        "ftps",
        "s3",
        "azure",
        "gcs",
      ]).makeOptionMandatory(),
    )
    .requiredOption("--target <target>", "local folder for disk, else a URL (sftp://user@host/dir)")
    .option("--opt <key=value>", "backend option, repeatable (pass=..., passSecret=NAME)", collect)
    .option("--replace", "replace the entry if one has that name")
    .description("add a named connection").action(dispatch("vfs", "add"));
  vfs.command("list").option("--json", JSON_HELP).description("list the VFS Library")
    .action(dispatch("vfs", "list"));
  vfs.command("show").argument("<name>").option("--json", JSON_HELP)
    .description("show one entry (credentials are never shown)").action(dispatch("vfs", "show"));
  vfs.command("rm").argument("<name>").description("remove an entry").action(dispatch("vfs", "rm"));
  vfs.command("test").argument("<name>").description("connect and list the root")
    .action(dispatch("vfs", "test"));

  const secret = program.command("secret").description("manage secrets (values are write-only)");
  secret.command("set").argument("<name>").argument("[value]")
    .option("--from-file <path>", "read the value from a file")
    .summary("set a secret from the argument, a file, or standard input")
    .description(
      "set a secret from the argument, a file, or standard input; a value that starts with - " +
        "goes after --: aft secret set NAME -- -value",
    )
    .action(dispatch("secret", "set"));
  secret.command("list").option("--json", JSON_HELP).description("list secret names and dates")
    .action(dispatch("secret", "list"));
  secret.command("rm").argument("<name>").description("remove a secret")
    .action(dispatch("secret", "rm"));

  const jobs = program.command("jobs").description("job history");
  jobs.command("list").option("--json", JSON_HELP)
    .option("--status <status>", "queued, running, succeeded, failed or halted")
    .option("--script <name>", "only jobs of this script")
    .option("--limit <n>", "at most this many", "50")
    .description("list jobs, newest first").action(dispatch("jobs", "list"));
  jobs.command("show").argument("<id>").option("--json", JSON_HELP).description("show one job")
    .action(dispatch("jobs", "show"));
  jobs.command("log").argument("<id>").option("--json", JSON_HELP)
    .option("--follow", "keep printing lines until the job ends; exit with its exit code")
    .description("print a job's log").action(dispatch("jobs", "log"));
  jobs.command("halt").argument("<id>").description("send the halt signal to a running job")
    .action(dispatch("jobs", "halt"));

  const apikey = program.command("apikey").description("manage API keys for aft start and REST");
  apikey.command("create").argument("<name>")
    .option("--allow <cidr>", "address or CIDR range the key may be used from, repeatable", collect)
    .option("--scope <scope>", "jobs:start, jobs:read, files or admin; repeatable", collect)
    .description(
      "create a key and print it once (default: jobs:start and jobs:read, from 127.0.0.1 and ::1)",
    )
    .action(dispatch("apikey", "create"));
  apikey.command("list").option("--json", JSON_HELP).description("list keys (prefix only)")
    .action(dispatch("apikey", "list"));
  apikey.command("rm").argument("<name>").description("revoke a key")
    .action(dispatch("apikey", "rm"));

  const nodes = program.command("nodes").description("aft serve nodes on the store; draining");
  nodes.command("list", { isDefault: true }).option("--json", JSON_HELP)
    .description("list nodes: address, version, running jobs, last heartbeat, draining")
    .action(dispatch("nodes", "list"));
  nodes.command("drain").argument("<node>")
    .description("stop a node claiming jobs; it finishes what it runs (rolling upgrades)")
    .action(dispatch("nodes", "drain"));
  nodes.command("resume").argument("<node>").description("let a drained node claim jobs again")
    .action(dispatch("nodes", "resume"));

  const storeCmd = program.command("store").description("the store: SQLite or PostgreSQL");
  storeCmd.command("copy").requiredOption("--to <url>", "postgres://USER:PASSWORD@HOST:PORT/DB")
    .option("--from <path>", "sqlite:PATH (default: the data directory's aft.db)")
    .option("--json", JSON_HELP)
    .description(
      "copy this host's SQLite store into a new, empty PostgreSQL database (refuses a non-empty one)",
    )
    .action(dispatch("store", "copy"));

  const schedule = program.command("schedule").description("cron schedules of stored scripts");
  schedule.command("add").argument("<name>")
    .requiredOption("--script <name>", "stored script to run")
    .requiredOption("--cron <expr>", 'cron expression, e.g. "0 2 * * *" (local time)')
    .option("-p, --params <json>", "parameters for each run")
    .description("add a schedule (it fires while aft serve runs)")
    .action(dispatch("schedule", "add"));
  schedule.command("list").option("--json", JSON_HELP).description("list schedules and next runs")
    .action(dispatch("schedule", "list"));
  schedule.command("rm").argument("<name>").description("remove a schedule")
    .action(dispatch("schedule", "rm"));

  program.command("audit")
    .summary("the audit log: sign-ins, configuration changes, job actions")
    .description(
      "print the audit log, newest first: who did what, when, from which address " +
        "(sign-ins, configuration changes, job actions; never a secret value)",
    )
    .option("--actor <name>", "only entries of this actor (admin, API key, OS user)")
    .option("--action <action>", "only this action, or a group of them: script, settings, job...")
    .option("--from <time>", "entries at or after this date or ISO time")
    .option("--to <time>", "entries before this date or ISO time")
    .option("--limit <n>", "at most this many (default 50; --csv: all)")
    .option("--json", JSON_HELP)
    .option("--csv", "print CSV (time, actor, address, action, target, outcome, detail)")
    .action(dispatch("audit"));

  program.command("reinit")
    .summary("lock-out recovery: reset network settings and admin accounts")
    .description(
      "lock-out recovery (service stopped): reset network settings and remove admin accounts; " +
        "scripts, VFS Library, secrets, API keys and schedules are kept",
    )
    .action(dispatch("reinit"));

  const svc = program.command("svc")
    .summary("run aft as an OS service (systemd, launchd, Windows)")
    .description(
      "install aft as an operating-system service started at boot (systemd on Linux, launchd " +
        "on macOS, the Service Control Manager on Windows), and start, stop or query it; " +
        "needs root (sudo) or an elevated PowerShell, except status",
    );
  svc.command("install")
    .description(
      "install the service (default data directory: /var/lib/aft, /Library/Application " +
        "Support/aft or %ProgramData%\\aft) and start it; run again after changing the flags, " +
        "localRoots or scriptRoots",
    )
    .option("--listen <host:port>", "address the service listens on (default: setting listen)")
    .option("--user <name>", "account the service runs as (Linux, macOS; default: root)")
    .option(
      "--store <url>",
      "store URL (postgres://...), kept in DATA/config.json (0600), never on a command line",
    )
    .action(dispatch("svc", "install"));
  svc.command("uninstall").description("stop and remove the service; the data directory is kept")
    .action(dispatch("svc", "uninstall"));
  svc.command("start").description("start the installed service").action(dispatch("svc", "start"));
  svc.command("stop").description("stop the service gracefully (jobs get their halt grace period)")
    .action(dispatch("svc", "stop"));
  svc.command("restart").description("restart the service").action(dispatch("svc", "restart"));
  svc.command("status").option("--json", JSON_HELP)
    .description("running, stopped or not installed, and where the log is (exit 0 when running)")
    .action(dispatch("svc", "status"));

  program.command("backup")
    .summary("back up the store and TLS material, also while serving")
    .description(
      "write a consistent copy of the store with the TLS material (DATA/tls) into one private " +
        "tar file, also while the service runs; the master key only with --include-master-key",
    )
    .requiredOption("--out <file>", "the backup file to write (refused if it exists)")
    .option(
      "--include-master-key",
      "also put the master key in the file (then it decrypts every secret: keep it safe)",
    )
    .action(dispatch("backup"));

  program.command("restore")
    .argument("<file>", "a file written by aft backup")
    .summary("restore a backup into a stopped data directory")
    .description(
      "restore a file written by aft backup into the data directory (--data), which no service " +
        "may be running on; an existing store is replaced only with --force",
    )
    .option("--force", "replace the store, TLS material and master key already there")
    .action(dispatch("restore"));

  program.command("doctor")
    .summary("check what usually goes wrong, and say how to fix it")
    .description(
      "check the data directory and key permissions, the database, free disk space, the listen " +
        "port, the TLS certificate, the service, SMTP and (--vfs) every VFS Library entry; " +
        "exit 0 when all is well, 1 otherwise",
    )
    .option("--vfs", "also connect to every VFS Library entry")
    .option("--json", JSON_HELP)
    .action(dispatch("doctor"));

  program.command("types")
    .summary("write aft.d.ts so editors check and complete scripts")
    .description(
      "write aft.d.ts, the declarations of every script global, so editors complete and check" +
        ' .syncjs files that start with "// @ts-check" and "/// <reference path="./aft.d.ts" />"',
    )
    .option("--out <file>", "where to write it (default: ./aft.d.ts; - for standard output)")
    .action(dispatch("types"));

  const tls = program.command("tls").description("trust the service's local CA on this machine");
  tls.command("trust")
    .description(
      "add the service's local CA (DATA/tls/ca.pem) to the system trust store, so curl and other " +
        "clients trust the service without -k (needs root or an administrator)",
    )
    .action(dispatch("tls", "trust"));
  tls.command("untrust").description("remove from the system trust store what tls trust added")
    .action(dispatch("tls", "untrust"));

  return program;
}

/** Parses `args` and runs the command; returns the exit code. */
export async function main(args: string[]): Promise<number> {
  const program = buildProgram();
  if (args.length === 0) {
    program.outputHelp();
    return 0;
  }
  const debug = args.includes("--debug");
  // commander's `help` prints the whole help, exit 0, for a command it does not know.
  if (
    args[0] === "help" && args[1] !== undefined &&
    !program.commands.some((c) => c.name() === args[1])
  ) {
    return reportError(new UsageError(`Unknown command "${args[1]}": see aft --help`), debug);
  }
  try {
    await program.parseAsync(args, { from: "user" });
    return exitCode;
  } catch (err: unknown) {
    if (err instanceof CommanderError) {
      // Help and version are printed by commander itself; anything else is a usage error.
      if (err.code === "commander.helpDisplayed" || err.code === "commander.help") return 0;
      if (err.code === "commander.version") return 0;
      return EXIT_USAGE;
    }
    // One way for every error to reach the user: one sentence, the exit code of its kind.
    return reportError(err, debug);
  }
}
