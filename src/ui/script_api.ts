/**
 * The script editor's knowledge of the SyncJS globals, read from the same `aft.d.ts` text that
 * `aft types` writes: every global (functions, constants, classes) and every type's members,
 * each with its signature and JSDoc. The console serves the result as a JSON asset; the
 * editor's completion and hover read it, so there is no second copy of the API's docs.
 *
 * The parser knows the shapes the typings use (`declare function|const|class`, `interface`,
 * `type`, members with one JSDoc block before them) and nothing more; a test checks that every
 * declaration of the real file comes through.
 *
 * @example
 * ```ts
 * const api = parseTypings("/** Ends the script. *\/\ndeclare function Exit(code?: number): never;");
 * api.globals[0]; // { name: "Exit", kind: "function", signature: "Exit(code?: number): never", ... }
 * ```
 * @module
 */

/** What a name is, as the editor shows it. */
export type ApiKind = "function" | "const" | "class" | "method" | "property" | "type";

/** One global or member. */
export interface ApiEntry {
  name: string;
  kind: ApiKind;
  /** The declaration without `declare` and the trailing `;`, on one line. */
  signature: string;
  /** The JSDoc text, `{@link X}` written as `X`; "" when there is none. */
  doc: string;
  /**
   * The type a use of this name gives: a function's or method's return type, a constant's or
   * property's type, a class's own name (for `new`).
   */
  type: string;
}

/** An interface or class: its members, including call signatures (named "()"). */
export interface ApiType {
  name: string;
  doc: string;
  /** Names of the types it extends. */
  extends: string[];
  members: ApiEntry[];
}

/** Everything a script can name. */
export interface ScriptApi {
  globals: ApiEntry[];
  types: Record<string, ApiType>;
}

/** Reads `aft.d.ts` text into globals and types. */
export function parseTypings(text: string): ScriptApi {
  const api: ScriptApi = { globals: [], types: {} };
  const src = new Source(text);
  for (;;) {
    const doc = src.skipTrivia();
    if (src.done) break;
    const head = src.text.slice(src.pos).match(
      /^(declare\s+function|declare\s+const|declare\s+class|interface|type)\s+([\w$]+)/,
    );
    if (!head) throw new Error(`Cannot read the typings at offset ${src.pos}: "${src.peekLine()}"`);
    const keyword = head[1]!.replace(/\s+/g, " ");
    const name = head[2]!;
    if (keyword === "declare class" || keyword === "interface") {
      const header = src.readUntil("{");
      const body = src.readBlock();
      const ext = header.match(/\bextends\s+([\w$,\s]+)/)?.[1]?.split(",").map((s) => s.trim())
        .filter(Boolean) ?? [];
      const t = api.types[name] ??= { name, doc: "", extends: [], members: [] };
      t.doc ||= doc;
      for (const e of ext) if (!t.extends.includes(e)) t.extends.push(e);
      const members = parseMembers(body);
      t.members.push(...members);
      if (keyword === "declare class") {
        const ctor = members.find((m) => m.name === "constructor");
        api.globals.push({
          name,
          kind: "class",
          signature: ctor
            ? `new ${name}${ctor.signature.slice("constructor".length)}`
            : `new ${name}()`,
          doc: doc || t.doc || ctor?.doc || "",
          type: name,
        });
        t.members = t.members.filter((m) => m.name !== "constructor");
      }
      continue;
    }
    const decl = oneLine(src.readStatement()).replace(/^declare\s+/, "");
    if (keyword === "type") {
      api.types[name] ??= { name, doc, extends: [], members: [] };
      continue;
    }
    if (keyword === "declare function") {
      const sig = decl.replace(/^function\s+/, "");
      api.globals.push({ name, kind: "function", signature: sig, doc, type: returnType(sig) });
    } else {
      const type = decl.replace(/^const\s+[\w$]+\s*:\s*/, "");
      api.globals.push({ name, kind: "const", signature: decl, doc, type: callResult(type) });
    }
  }
  return api;
}

/** The members of an interface or class body (between the braces). */
function parseMembers(body: string): ApiEntry[] {
  const out: ApiEntry[] = [];
  const src = new Source(body);
  for (;;) {
    const doc = src.skipTrivia();
    if (src.done) break;
    const decl = oneLine(src.readStatement());
    if (decl === "") continue;
    const call = decl.match(/^\(/);
    const m = decl.match(/^([\w$]+)\??\s*([(:])/);
    if (call) {
      out.push({ name: "()", kind: "method", signature: decl, doc, type: returnType(decl) });
    } else if (m && m[2] === "(") {
      out.push({ name: m[1]!, kind: "method", signature: decl, doc, type: returnType(decl) });
    } else if (m) {
      const type = decl.slice(decl.indexOf(":") + 1).trim();
      out.push({ name: m[1]!, kind: "property", signature: decl, doc, type });
    } else {
      throw new Error(`Cannot read the typings member "${decl}"`);
    }
  }
  return out;
}

/** The return type of `name(params): T`. */
function returnType(sig: string): string {
  let depth = 0;
  for (let i = 0; i < sig.length; i++) {
    const ch = sig[i];
    if (ch === "(" || ch === "{" || ch === "[") depth++;
    else if (ch === ")" || ch === "}" || ch === "]") depth--;
    else if (ch === ":" && depth === 0) return sig.slice(i + 1).trim();
  }
  return "";
}

/** A constant's type; for a callable object type (`{ (): T; new (): T }`), what a call gives. */
function callResult(type: string): string {
  const call = type.match(/^\{\s*\(\s*\)\s*:\s*([\w$]+)/);
  return call ? call[1]! : type;
}

function oneLine(s: string): string {
  return s.replace(/\s+/g, " ").replace(/\(\s+/g, "(").replace(/,\s*\)/g, ")").replace(/;$/, "")
    .trim();
}

/** Turns a JSDoc block's inside into plain text. */
function docText(block: string): string {
  return block
    .replace(/^\/\*\*|\*\/$/g, "")
    .split("\n")
    .map((l) => l.replace(/^\s*\*\s?/, "").trimEnd())
    .join("\n")
    .replace(/\{@link\s+([^}\s]+)\s*\}/g, "$1")
    .trim();
}

/** A cursor over declaration text. */
class Source {
  readonly text: string;
  pos = 0;
  constructor(text: string) {
    this.text = text;
  }
  get done(): boolean {
    return this.pos >= this.text.length;
  }
  peekLine(): string {
    return this.text.slice(this.pos).split("\n")[0]!.slice(0, 80);
  }
  /** Skips blanks and comments; returns the last JSDoc block's text (or ""). */
  skipTrivia(): string {
    let doc = "";
    for (;;) {
      const rest = this.text.slice(this.pos);
      const ws = rest.match(/^\s+/);
      if (ws) {
        this.pos += ws[0].length;
        continue;
      }
      if (rest.startsWith("/**")) {
        const end = rest.indexOf("*/");
        doc = docText(rest.slice(0, end + 2));
        this.pos += end + 2;
        continue;
      }
      if (rest.startsWith("/*")) {
        this.pos += rest.indexOf("*/") + 2;
        continue;
      }
      if (rest.startsWith("//")) {
        const nl = rest.indexOf("\n");
        this.pos += nl < 0 ? rest.length : nl + 1;
        doc = "";
        continue;
      }
      return doc;
    }
  }
  /** Text up to (not including) `ch` at bracket depth 0; the cursor stops on `ch`. */
  readUntil(ch: string): string {
    const start = this.pos;
    while (!this.done && this.text[this.pos] !== ch) this.pos++;
    return this.text.slice(start, this.pos);
  }
  /** The inside of the `{...}` block at the cursor; the cursor moves past it. */
  readBlock(): string {
    const start = this.pos + 1;
    let depth = 0;
    for (; this.pos < this.text.length; this.pos++) {
      const ch = this.text[this.pos];
      if (ch === "{") depth++;
      else if (ch === "}" && --depth === 0) {
        this.pos++;
        return this.text.slice(start, this.pos - 1);
      }
    }
    throw new Error("Unclosed block in the typings");
  }
  /** One statement up to its `;` at bracket depth 0 (or the end); the cursor moves past it. */
  readStatement(): string {
    const start = this.pos;
    let depth = 0;
    for (; this.pos < this.text.length; this.pos++) {
      const ch = this.text[this.pos];
      if (ch === "(" || ch === "{" || ch === "[") depth++;
      else if (ch === ")" || ch === "}" || ch === "]") depth--;
      else if (ch === ";" && depth === 0) {
        this.pos++;
        return this.text.slice(start, this.pos);
      }
    }
    return this.text.slice(start);
  }
}
