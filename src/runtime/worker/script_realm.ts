/**
 * A fresh V8 context for one run of a script, inside the script's Worker (which has no
 * permissions). A Worker may serve several runs of the same script (see `script_host.ts`);
 * each run gets a context of its own, so the globals one run sets are not there in the next.
 *
 * The context holds JavaScript's built-ins, a chosen set of the Worker's web APIs (text
 * encoding, URLs, streams, crypto, timers: never `Deno`, `fetch`, sockets, Workers or the
 * Worker's own `postMessage`) and, once the prelude has run, the script API. The context is
 * an ordinary global object (`vm.constants.DONT_CONTEXTIFY`): a contextified one routes every
 * global variable access through an interceptor, which made a loop over globals 200 times
 * slower.
 *
 * @module
 */

import vm from "node:vm";

/** The Worker's web APIs a script may use, given to each context as they are. */
const WEB_GLOBALS = [
  "AbortController",
  "AbortSignal",
  "Blob",
  "Buffer",
  "ByteLengthQueuingStrategy",
  "CompressionStream",
  "CountQueuingStrategy",
  "Crypto",
  "CryptoKey",
  "CustomEvent",
  "DecompressionStream",
  "DOMException",
  "Event",
  "EventTarget",
  "File",
  "FormData",
  "Headers",
  "MessageChannel",
  "MessagePort",
  "Performance",
  "ReadableByteStreamController",
  "ReadableStream",
  "ReadableStreamBYOBReader",
  "ReadableStreamBYOBRequest",
  "ReadableStreamDefaultController",
  "ReadableStreamDefaultReader",
  "Request",
  "Response",
  "SubtleCrypto",
  "TextDecoder",
  "TextDecoderStream",
  "TextEncoder",
  "TextEncoderStream",
  "TransformStream",
  "TransformStreamDefaultController",
  "URL",
  "URLPattern",
  "URLSearchParams",
  "WritableStream",
  "WritableStreamDefaultController",
  "WritableStreamDefaultWriter",
  "atob",
  "btoa",
  "crypto",
  "navigator",
  "performance",
  "reportError",
  "structuredClone",
];

/** The intrinsics of a run's context the prelude uses to make values that belong to it. */
export interface ScriptRealm {
  /** The context's global object: where the prelude defines the script API. */
  global: Record<string, unknown>;
  /** The context's `JSON.parse`, taken before the script could replace it. */
  parse: (text: string, reviver?: (key: string, value: unknown) => unknown) => unknown;
  /** The context's `Uint8Array`, `Error` and `TypeError`, likewise. */
  Uint8Array: Uint8ArrayConstructor;
  Error: ErrorConstructor;
  TypeError: TypeErrorConstructor;
  /** Compiles `source` as a classic script named `fileName` (throws its SyntaxError). */
  compile(source: string, fileName: string): vm.Script;
  /** Runs a compiled script in the context; returns its completion value. */
  run(script: vm.Script): unknown;
  /** Clears the run's timers: no callback of the run fires after it ended. */
  dispose(): void;
}

type Handler = (...args: unknown[]) => void;

/** How the context's globals are defined: as the Worker's own are, not listed by for-in. */
const HIDDEN = { writable: true, enumerable: false, configurable: true } as const;

/**
 * Defines `name` on context global `g` as the value `get` returns, taken on first use. Many of
 * the Worker's web APIs are themselves made on first use (streams, fetch's classes, Buffer):
 * copying all of them into each context cost the first one 6 to 9 ms of a one-line script's
 * start, for APIs most scripts never touch. The first read or write of the name leaves a plain
 * value property, as a copy made at once would have been.
 */
function lazyGlobal(g: Record<string, unknown>, name: string, get: () => unknown): void {
  Object.defineProperty(g, name, {
    enumerable: false,
    configurable: true,
    get() {
      const value = get();
      Object.defineProperty(g, name, { value, ...HIDDEN });
      return value;
    },
    set(this: object, value: unknown) {
      // As an assignment to a plain property would: on an object that inherits from the
      // global, the object gets a property of its own.
      if (this !== g) Object.defineProperty(this, name, { value, ...HIDDEN, enumerable: true });
      else Object.defineProperty(g, name, { value, ...HIDDEN });
    },
  });
}

/** Creates the context of one run. */
export function createScriptRealm(): ScriptRealm {
  const g = vm.createContext(vm.constants.DONT_CONTEXTIFY) as unknown as Record<string, unknown>;
  const outer = globalThis as unknown as Record<string, unknown>;
  // Built-ins the Worker itself does not have (an unstable API Deno leaves out) stay out.
  for (const name of Object.getOwnPropertyNames(g)) {
    if (!(name in outer)) delete g[name];
  }
  for (const name of WEB_GLOBALS) {
    if (name in outer) lazyGlobal(g, name, () => outer[name]);
  }
  Object.defineProperty(g, "self", { value: g, ...HIDDEN });

  const ctxEval = g.eval as (code: string) => unknown;
  const JSONs = g.JSON as typeof JSON;
  const parse = JSONs.parse.bind(JSONs) as ScriptRealm["parse"];
  const live = new Set<number>();
  let disposed = false;
  const callback = (fn: unknown): Handler =>
    typeof fn === "function" ? fn as Handler : () => void ctxEval(String(fn));
  const timer = (repeat: boolean) => (fn: unknown, ms?: unknown, ...args: unknown[]) => {
    if (disposed) return 0;
    const run = callback(fn);
    // The Worker's timers give numbers (Node's types say otherwise).
    const id = (repeat ? setInterval(() => run(...args), Number(ms) || 0) : setTimeout(() => {
      live.delete(id);
      run(...args);
    }, Number(ms) || 0)) as unknown as number;
    live.add(id);
    return id;
  };
  const clear = (id: unknown) => {
    if (typeof id !== "number" || !live.has(id)) return;
    live.delete(id);
    clearTimeout(id);
  };
  const defs: Record<string, unknown> = {
    setTimeout: timer(false),
    setInterval: timer(true),
    setImmediate: (fn: unknown, ...args: unknown[]) => timer(false)(fn, 0, ...args),
    clearTimeout: clear,
    clearInterval: clear,
    clearImmediate: clear,
  };
  for (const [name, value] of Object.entries(defs)) {
    Object.defineProperty(g, name, { value, ...HIDDEN });
  }

  return {
    global: g,
    parse,
    Uint8Array: g.Uint8Array as Uint8ArrayConstructor,
    Error: g.Error as ErrorConstructor,
    TypeError: g.TypeError as TypeErrorConstructor,
    compile: (source, fileName) => new vm.Script(source, { filename: fileName }),
    run: (script) => script.runInContext(g as unknown as vm.Context),
    dispose() {
      disposed = true;
      for (const id of live) clearTimeout(id);
      live.clear();
    },
  };
}
