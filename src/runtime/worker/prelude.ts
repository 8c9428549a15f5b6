/**
 * The prelude: defines the SyncJS globals in a fresh context for one run of the script (see
 * `script_realm.ts`), inside the script's Worker. The Worker's own global loses what a script
 * must not reach (`Deno`, `fetch`, `WebSocket`, `Worker`, `postMessage`, ...; see
 * {@linkcode lockWorkerGlobal}), and the context never has it. Every effect is a synchronous
 * call to the host through the bridge. The prelude's functions live in the Worker's realm; what
 * they hand the script from the host (arrays, objects, bytes, errors of refused calls) is made
 * in the context's realm.
 *
 * @module
 */

import {
  decodeValue,
  HALT,
  LOG_ACKED,
  readReply,
  SIGNAL,
  STATE,
  views,
  WAITING,
} from "../protocol/bridge.ts";
import { LogBudget } from "../protocol/log_limits.ts";
import type { CallReply, WorkerInit, WorkerMessage } from "../protocol/messages.ts";
import type { Bridge } from "./host_bridge.ts";
import { installVfs } from "./prelude_vfs.ts";
import { installHttp } from "./prelude_http.ts";
import { installHelpers } from "./prelude_helpers.ts";
import { installClients } from "./prelude_clients.ts";
import { installWatchers } from "./prelude_watch.ts";
import { type Mark, mark, takeMarks } from "../../timings.ts";
import { createScriptRealm, type ScriptRealm } from "./script_realm.ts";

/** Log lines posted and not yet acknowledged by the host before `Log` waits. */
const LOG_WINDOW = 256;
/** How often (ms) a script logging over its limit reports what it dropped. */
const DROPPED_REPORT_MS = 1000;

/** Thrown by `Exit()` only if closing the worker did not stop the script at once. */
class ExitSignal {
  constructor(readonly code: number) {}
}

const REMOVED_GLOBALS = [
  "Deno",
  "fetch",
  "WebSocket",
  "WebSocketStream",
  "Worker",
  "BroadcastChannel",
  "EventSource",
  "postMessage",
  "close",
  "onmessage",
  "onmessageerror",
  "caches",
  "localStorage",
  "sessionStorage",
  "indexedDB",
  "WebTransport",
  // Node's process: its stdout and stderr are the runner's (a runner process's stdout carries
  // its frames to the service, which a script's write there broke: the job hung), and its
  // _rawDebug, cwd, argv and pid are no script's business.
  "process",
];

/**
 * Takes away, from the Worker's own global, what a script must not reach. A script runs in a
 * context of its own, but the prelude's functions belong to the Worker's realm, whose global
 * a script could reach through their `constructor`.
 */
export function lockWorkerGlobal(): void {
  const g = globalThis as Record<string, unknown>;
  for (const name of REMOVED_GLOBALS) delete g[name];
  // The Worker's console writes to the process's stdout and stderr, past the log, its limits
  // and its redaction (and, in a runner process, into its frames): a console that says
  // nothing. The script's own console (its context's) goes to the log.
  const quiet = () => {};
  g.console = Object.fromEntries(Object.keys(console).map((k) => [k, quiet]));
}

/**
 * Installs the globals in a fresh context and returns `run()`, which runs the script there and
 * reports its end to the host. The Worker stays open for another run of the same script,
 * except after `Exit()`, which closes it (the only way to stop a script at once, even one that
 * catches what Exit throws). `realm`: a context made ahead for this run, in which no script
 * has run (default: one made now).
 */
export function installPrelude(
  init: WorkerInit,
  post: (m: WorkerMessage) => void,
  closeSelf: () => void,
  realm: ScriptRealm = createScriptRealm(),
): () => Promise<void> {
  const g = realm.global;
  /** Hooks run while the script waits in WaitForHaltSignal (watchers deliver events here). */
  const waitHooks: (() => void)[] = [];
  const { ctrl } = views(init.sab);
  let seq = 0;
  let ended = false;
  const budget = new LogBudget(init.log);
  let logsPosted = 0;
  let droppedReported = 0;
  let droppedAt = 0;

  /** Tells the host what was dropped over the log limit, at most once a second (and at the end). */
  function reportDropped(force: boolean) {
    const d = budget.dropped;
    if (d.lines === droppedReported) return;
    const now = performance.now();
    if (!force && now - droppedAt < DROPPED_REPORT_MS) return;
    droppedAt = now;
    droppedReported = d.lines;
    post({ t: "logDropped", ...d });
  }

  /** Waits while too many log lines are on their way to the host (its pipe is behind). */
  function waitForLogWindow() {
    for (;;) {
      const acked = Atomics.load(ctrl, LOG_ACKED);
      if (((logsPosted - acked) | 0) < LOG_WINDOW || Atomics.load(ctrl, HALT) === 1) return;
      Atomics.wait(ctrl, LOG_ACKED, acked, 200);
    }
  }

  /** Reports the run's end (once); `reusable`: the Worker can take another run. */
  function report(code: number, error?: string, syntaxError?: boolean, reusable = false) {
    if (ended) return;
    ended = true;
    realm.dispose();
    reportDropped(true);
    post({
      t: "end",
      code,
      error,
      syntaxError,
      reusable,
      timings: init.timings ? workerMarks() : undefined,
    });
  }

  /** Exit(): the run ends here, and so does the Worker. */
  function end(code: number): never {
    report(code);
    closeSelf();
    // close() stops the worker at once; should it ever return, unwind without running more.
    throw new ExitSignal(code);
  }

  const bridge: Bridge = {
    call(method, ...args) {
      if (ended) throw new ExitSignal(0);
      Atomics.store(ctrl, STATE, WAITING);
      post({ t: "call", seq: ++seq, method, args });
      const reply = decodeValue(readReply(init.sab, () => true), realm) as CallReply;
      if (!reply.ok) throw new realm.Error(reply.error);
      // The host's handler for `method` returned this value (HostHandlers types it so).
      return reply.value as never;
    },
    log(level, text) {
      if (ended) return;
      const kept = budget.admitParts(text);
      if (kept === undefined) return reportDropped(false);
      waitForLogWindow();
      logsPosted = (logsPosted + 1) | 0;
      post({ t: "log", level, text: kept.text, cutFrom: kept.cutFrom });
    },
    halted: () => Atomics.load(ctrl, HALT) === 1,
    TypeError: realm.TypeError,
    Error: realm.Error,
    define(name, value) {
      Object.defineProperty(g, name, {
        value,
        writable: false,
        enumerable: false,
        configurable: false,
      });
    },
  };

  const params = init.params;
  const param = (name: unknown): string => {
    const key = String(name);
    if (Object.hasOwn(params, key)) return params[key]!;
    const lower = key.toLowerCase();
    for (const [k, v] of Object.entries(params)) if (k.toLowerCase() === lower) return v;
    return "";
  };
  bridge.define("Params", param);
  bridge.define("Param", param);
  bridge.define("GetSecret", (name: unknown) => {
    if (typeof name !== "string") throw new bridge.TypeError("GetSecret(name) takes a string");
    return bridge.call("secret", name);
  });
  bridge.define("Exit", (code?: unknown) => {
    const n = code === undefined || code === null ? 0 : Number(code);
    end(Number.isInteger(n) ? n : 1);
  });
  bridge.define("JobID", () => init.jobId);
  bridge.define("ScriptName", () => init.scriptName);
  Object.defineProperty(g, "HaltSignalReceived", {
    get: () => bridge.halted(),
    enumerable: false,
    configurable: false,
  });
  /**
   * Waits up to `ms` for a signal (a halt or a watcher event), delivering watcher events first;
   * false once the job is halted. Sleep and WaitForHaltSignal both wait here, so watcher
   * callbacks run in either (AFT! scripts often poll in a Sleep loop).
   */
  const waitForSignal = (ms: number): boolean => {
    if (bridge.halted()) return false;
    const signal = Atomics.load(ctrl, SIGNAL);
    waitHooks.forEach((hook) => hook());
    if (bridge.halted()) return false;
    if (ms > 0) Atomics.wait(ctrl, SIGNAL, signal, ms);
    return !bridge.halted();
  };
  bridge.define("Sleep", (ms: unknown) => {
    const deadline = performance.now() + Math.max(0, Number(ms) || 0);
    for (;;) {
      const left = deadline - performance.now();
      if (!waitForSignal(Math.min(left, 1000))) return false;
      if (left <= 0) return true;
    }
  });
  bridge.define("WaitForHaltSignal", () => {
    while (waitForSignal(500));
  });

  const text = (args: unknown[]) =>
    args.map((a) => {
      if (typeof a === "string") return a;
      if (isError(a)) return a.stack ?? String(a);
      try {
        return typeof a === "object" && a !== null ? JSON.stringify(a) : String(a);
      } catch {
        return String(a);
      }
    }).join(" ");
  const Log = (...args: unknown[]) => bridge.log("info", text(args));
  Object.assign(Log, {
    Info: (...a: unknown[]) => bridge.log("info", text(a)),
    Warn: (...a: unknown[]) => bridge.log("warn", text(a)),
    Error: (...a: unknown[]) => bridge.log("error", text(a)),
    Debug: (...a: unknown[]) => bridge.log("debug", text(a)),
  });
  Object.freeze(Log);
  bridge.define("Log", Log);
  // console writes to the runner's stdout, which carries the protocol: route it to the job log.
  bridge.define(
    "console",
    Object.freeze({
      log: Log,
      info: Log,
      debug: (...a: unknown[]) => bridge.log("debug", text(a)),
      warn: (...a: unknown[]) => bridge.log("warn", text(a)),
      error: (...a: unknown[]) => bridge.log("error", text(a)),
    }),
  );

  installVfs(bridge);
  installClients(bridge, g.VirtualFS as Parameters<typeof installClients>[1]);
  installHttp(bridge);
  installHelpers(bridge);
  installWatchers(bridge, ctrl, waitHooks);

  mark("prelude installed", "worker");
  return async () => {
    try {
      await runScript();
    } finally {
      // Whatever went wrong above, the run ends and says so (report() is once: a no-op here
      // after a normal end); a run that never reported left its job running until halted.
      report(1, "The script's run ended without its result: aft could not report it");
    }
  };

  async function runScript(): Promise<void> {
    let code = 0;
    let error: string | undefined;
    let syntaxError = false;
    let script: ReturnType<typeof realm.compile> | undefined;
    takeRejection(); // one a previous run left after its end is not this run's
    try {
      script = realm.compile(init.source, init.fileName);
    } catch (err: unknown) {
      // V8's message has no position the runner can rely on: the runner finds it.
      code = 1;
      error = err instanceof Error ? err.message : String(err);
      syntaxError = true;
    }
    if (script) {
      try {
        realm.run(script);
        // Promise callbacks the script left pending get a few event-loop turns to run.
        await settle(init.source);
      } catch (err: unknown) {
        if (err instanceof ExitSignal) {
          code = err.code;
        } else {
          code = 1;
          error = describeError(err, init.fileName);
        }
      }
    }
    const left = takeRejection();
    if (left && error === undefined && code === 0) {
      // As Deno words it: "Uncaught (in promise) Error: boom".
      code = 1;
      error = describeError(left.reason, init.fileName);
      if (left.inPromise) error = error.replace(/^Uncaught /, "Uncaught (in promise) ");
    }
    report(code, error, syntaxError, true);
  }
}

/**
 * Scripts are synchronous, but one that uses promises (`then`, `async`, `import()`) gets up to
 * this long after its last line for the callbacks it left pending; others end at once.
 */
const SETTLE_MS = 200;

/**
 * The first error the current run left uncaught outside its own call stack: a promise it
 * rejected and did not handle, or an exception thrown in a timer's callback (`noteUncaught`,
 * called by the Worker's listeners, which also keep Deno from printing them).
 */
let rejection: { reason: unknown; inPromise: boolean } | undefined;

/** Keeps the current run's first such error: the run fails with it. */
export function noteUncaught(reason: unknown, inPromise: boolean): void {
  rejection ??= { reason, inPromise };
}

function takeRejection(): { reason: unknown; inPromise: boolean } | undefined {
  const r = rejection;
  rejection = undefined;
  return r;
}
const ASYNC_HINT = /\b(?:Promise|async|await|then|import|queueMicrotask|setTimeout|setInterval)\b/;

async function settle(source: string): Promise<void> {
  // A script without a word of the kind leaves no callback behind but promise reactions,
  // which the caller's await runs; it need not wait for a timer (whose first use loads the
  // timers of Deno's Node layer: a few milliseconds of every job's start).
  if (!ASYNC_HINT.test(source)) return;
  const until = performance.now() + SETTLE_MS;
  do {
    await new Promise((resolve) => setTimeout(resolve, 0));
  } while (performance.now() < until);
}

/**
 * The Worker's marks for the timeline. The script may have replaced the builtins they use:
 * whatever goes wrong, the job still ends (and the runner checks what arrives).
 */
function workerMarks(): Mark[] | undefined {
  try {
    mark("script ended", "worker");
    return takeMarks();
  } catch {
    return undefined;
  }
}

/**
 * True for an Error of any realm: the script's errors belong to its context, whose `Error` is
 * not the Worker's.
 */
function isError(v: unknown): v is Error {
  return Object.prototype.toString.call(v) === "[object Error]";
}

/**
 * "Uncaught TypeError: x is not a function" with the script's own stack frames only. Never
 * throws: what the script threw may be a value with no text (`Object.create(null)`) or one
 * whose `toString` or `message` throws, and the run must still end and say so (it hung).
 */
export function describeError(err: unknown, fileName: string): string {
  try {
    return describeOrThrow(err, fileName);
  } catch {
    return `Uncaught ${textOf(err)}`;
  }
}

/** `v` as text, or a description of it when it has none that can be had. */
function textOf(v: unknown): string {
  try {
    return String(v);
  } catch {
    try {
      return Object.prototype.toString.call(v);
    } catch {
      return "(a value without a text form)";
    }
  }
}

function describeOrThrow(err: unknown, fileName: string): string {
  if (!isError(err)) return `Uncaught ${String(err)}`;
  // Only the "at" lines: an error that left its context has the offending line quoted above
  // its stack (as Node's vm does), which is the script's text, not a frame.
  const frames = String(err.stack ?? "").split("\n")
    .filter((line) => /^\s+at /.test(line))
    .filter((line) => line.includes(fileName) && !line.includes("/src/runtime/"))
    .map((line) => {
      // V8 writes eval frames as "at fn (eval at ..., file, <anonymous>:3:5)".
      const m = /at (?:([^\s(]+) \()?.*<anonymous>:(\d+):(\d+)\)?$/.exec(line);
      if (!m) return line;
      const where = `${fileName}:${m[2]}:${m[3]}`;
      return m[1] && m[1] !== "eval" ? `    at ${m[1]} (${where})` : `    at ${where}`;
    });
  return [`Uncaught ${err.name}: ${err.message}`, ...frames].join("\n");
}
