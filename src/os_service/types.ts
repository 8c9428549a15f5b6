/**
 * What `aft svc` installs, whichever the service manager: the plan (how the service runs) and
 * the status a manager reports.
 *
 * @module
 */

/** How the installed service runs `aft serve`. */
export interface ServicePlan {
  /** The command line that starts aft itself (the binary, or deno with main.ts). */
  command: string[];
  /** Absolute data directory, given to `aft serve --data`. */
  dataDir: string;
  /** `--listen HOST:PORT`, when given. */
  listen?: string;
  /** The account the service runs as (systemd `User=`, launchd `UserName`); root when unset. */
  user?: string;
  /** Seconds the service manager waits for a graceful stop before it kills the service. */
  stopTimeoutSeconds: number;
  /** Folders jobs may write to (the data directory, localRoots and scriptRoots). */
  writablePaths: string[];
  /** True when localRoots is empty: jobs may use any folder, so the system is less locked. */
  anyFolder: boolean;
  /** The aft version that wrote the unit, for its header. */
  version: string;
}

/** What a service manager knows of the installed service. */
export interface ServiceStatus {
  state: "running" | "stopped" | "not installed";
  /** The process ID while running, when the manager tells it. */
  pid?: number;
  /** The unit, plist or service name the manager knows it by. */
  unit: string;
  /** The data directory the installed service uses, when it can be read back. */
  dataDir?: string;
  /** Where its log is, for people. */
  log?: string;
}

/** A service manager: systemd, launchd or the Windows Service Control Manager. */
export interface ServiceManager {
  /** Its name for messages: "systemd", "launchd", "Windows Service Control Manager". */
  readonly name: string;
  /** Where the service's definition lives (unit file, plist, service name). */
  readonly unit: string;
  /** The data directory when --data is not given. */
  defaultDataDir(): string;
  /** Writes the definition, enables it at boot and starts it. */
  install(plan: ServicePlan): Promise<void>;
  /** Stops the service and removes its definition; the data directory stays. */
  uninstall(): Promise<void>;
  start(): Promise<void>;
  stop(): Promise<void>;
  restart(): Promise<void>;
  status(): Promise<ServiceStatus>;
}
