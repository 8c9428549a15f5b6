/**
 * Which type an expression in a script has, as far as the editor needs it: enough to offer the
 * members after a dot (`VirtualFSByName("x").`, `HttpCli().Url(u).`, `var r = src.Stat(p); r.`)
 * and to find the member under the pointer. Pure functions over the script API data, so they
 * are tested without a browser.
 *
 * @module
 */

import type { ApiEntry, ScriptApi } from "../../script_api.ts";

/** Deepest chain of `var x = y` the resolver follows. */
const MAX_DEPTH = 4;

/** The members of `typeName` and the types it extends, each name once, call signatures left out. */
export function membersOf(api: ScriptApi, typeName: string): ApiEntry[] {
  const seen = new Set<string>();
  const out: ApiEntry[] = [];
  const visit = (name: string, depth: number) => {
    const t = api.types[name];
    if (!t || depth > 8) return;
    for (const m of t.members) {
      if (m.name === "()" || seen.has(m.name)) continue;
      seen.add(m.name);
      out.push(m);
    }
    for (const e of t.extends) visit(e, depth + 1);
  };
  visit(typeName, 0);
  return out;
}

/** Every member of every type, each name once (for a dot whose object is not known). */
export function allMembers(api: ScriptApi): { entry: ApiEntry; owner: string }[] {
  const seen = new Set<string>();
  const out: { entry: ApiEntry; owner: string }[] = [];
  for (const t of Object.values(api.types)) {
    for (const m of t.members) {
      if (m.name === "()" || seen.has(m.name)) continue;
      seen.add(m.name);
      out.push({ entry: m, owner: t.name });
    }
  }
  return out;
}

/** The global named `name`, if any. */
export function globalNamed(api: ScriptApi, name: string): ApiEntry | undefined {
  return api.globals.find((g) => g.name === name);
}

/**
 * The type of the expression that ends just before `dot` (the index of a "." in `doc`), or
 * undefined when it cannot be told.
 */
export function typeBeforeDot(api: ScriptApi, doc: string, dot: number): string | undefined {
  const expr = expressionBefore(doc, dot);
  return expr === undefined ? undefined : typeOfExpression(api, doc.slice(0, dot), expr, 0);
}

/** The member chain that ends at `end` (`new A(1).b(x)[0].c`), read backwards; brackets kept. */
export function expressionBefore(doc: string, end: number): string | undefined {
  let i = end;
  for (;;) {
    while (i > 0 && /\s/.test(doc[i - 1]!)) i--;
    const close = doc[i - 1];
    if (close === ")" || close === "]") {
      const open = close === ")" ? "(" : "[";
      let depth = 0;
      let j = i - 1;
      for (; j >= 0; j--) {
        if (doc[j] === close) depth++;
        else if (doc[j] === open && --depth === 0) break;
      }
      if (j < 0) return undefined;
      i = j;
      continue;
    }
    const word = doc.slice(0, i).match(/[\w$]+$/);
    if (!word) return undefined;
    i -= word[0].length;
    let k = i;
    while (k > 0 && /\s/.test(doc[k - 1]!)) k--;
    if (doc[k - 1] === ".") {
      i = k - 1;
      continue;
    }
    if (doc.slice(0, k).match(/\bnew$/)) i = k - 3;
    return doc.slice(i, end).trim();
  }
}

/** Splits `new A(x).b[0].c()` into its head and its steps. */
function steps(expr: string): { isNew: boolean; head: string; rest: string[] } | undefined {
  let s = expr.trim();
  const isNew = /^new\s/.test(s);
  if (isNew) s = s.replace(/^new\s+/, "");
  const out: string[] = [];
  let i = 0;
  const head = s.match(/^[\w$]+/);
  if (!head) return undefined;
  i = head[0].length;
  while (i < s.length) {
    const ch = s[i]!;
    if (/\s/.test(ch)) {
      i++;
    } else if (ch === "(" || ch === "[") {
      const close = ch === "(" ? ")" : "]";
      let depth = 0;
      let j = i;
      for (; j < s.length; j++) {
        if (s[j] === ch) depth++;
        else if (s[j] === close && --depth === 0) break;
      }
      out.push(ch === "(" ? "()" : "[]");
      i = j + 1;
    } else if (ch === ".") {
      const m = s.slice(i + 1).match(/^\s*([\w$]+)/);
      if (!m) return undefined;
      out.push(m[1]!);
      i += 1 + m[0].length;
    } else {
      return undefined;
    }
  }
  return { isNew, head: head[0], rest: out };
}

/** A declared type as a type name: `FileInfo | null` → `FileInfo`; arrays kept as `T[]`. */
function plainType(t: string): string {
  return t.split("|").map((p) => p.trim()).find((p) => p !== "null" && p !== "undefined") ?? t;
}

function typeOfExpression(
  api: ScriptApi,
  doc: string,
  expr: string,
  depth: number,
): string | undefined {
  const parts = steps(expr);
  if (!parts) return undefined;
  let rest = parts.rest;
  let type: string | undefined;
  const g = globalNamed(api, parts.head);
  if (parts.isNew) {
    type = api.types[parts.head] ? parts.head : undefined;
    if (rest[0] === "()") rest = rest.slice(1);
  } else if (g) {
    if (g.kind === "class") return undefined;
    type = g.type;
    // A constant that is also callable (HttpCli) gives the same type called or not.
    if (rest[0] === "()") rest = rest.slice(1);
  } else if (depth < MAX_DEPTH) {
    const init = initializerOf(doc, parts.head);
    type = init === undefined ? undefined : typeOfExpression(api, doc, init, depth + 1);
  }
  for (let i = 0; i < rest.length; i++) {
    if (type === undefined) return undefined;
    type = plainType(type);
    const step = rest[i]!;
    if (step === "[]") {
      type = type.endsWith("[]") ? type.slice(0, -2) : undefined;
    } else if (step === "()") {
      type = api.types[type]?.members.find((m) => m.name === "()")?.type;
    } else {
      const member = membersOf(api, type).find((m) => m.name === step);
      type = member?.type;
      // A method's entry already gives what a call returns.
      if (member?.kind === "method" && rest[i + 1] === "()") i++;
    }
  }
  return type === undefined ? undefined : plainType(type);
}

/** The expression a variable was last given before its use: `var x = EXPR;` (or let/const/=). */
function initializerOf(doc: string, name: string): string | undefined {
  const esc = name.replace(/\$/g, "\\$");
  const re = new RegExp(`(?:^|[^\\w$.])${esc}\\s*=(?!=)\\s*([^;\\n]+)`, "g");
  let last: string | undefined;
  for (const m of doc.matchAll(re)) last = m[1];
  return last?.trim();
}
