/**
 * Glob masks for file names: `*` (any run of characters except `/`), `?` (one character),
 * `[abc]`, `[a-z]`, `[!abc]` or `[^abc]`, `{csv,txt}`, and `\` to escape. Case-sensitive.
 * Used by CopyToVFS sources (`/out/*.csv`), ListFiles masks and watcher filters.
 *
 * @example
 * ```ts
 * matchGlob("*.csv", "orders.csv"); // true
 * matchGlob("report-{a,b}?.txt", "report-b1.txt"); // true
 * ```
 * @module
 */

import { VfsError } from "./types.ts";

const SPECIAL = /[*?[{\\]/;

/** True when `s` contains glob syntax. */
export function hasGlob(s: string): boolean {
  return SPECIAL.test(s);
}

/** One step of a mask: a character, `?`, a class, or `*`. */
type Token =
  | { t: "char"; c: string }
  | { t: "one" }
  | { t: "class"; negate: boolean; items: (string | [string, string])[] }
  | { t: "star" };

type ClassToken = Extract<Token, { t: "class" }>;

const CHAR = 0, ONE = 1, CLASS = 2, STAR = 3;
const SLASH = 0x2f;

/** Steps of a mask: each one's kind, code point and class. */
interface Steps {
  kind: Uint8Array;
  code: Int32Array;
  classes: (ClassToken | undefined)[];
  stars: number;
}

/**
 * An alternative of a mask ready to match: the plain characters before the first other step
 * and after the last one are compared as text, and only the steps between them are walked
 * (`*.csv`: the name ends with `.csv`, and the rest has no `/`).
 */
interface Alternative {
  head: string;
  tail: string;
  middle: Steps;
  /** The middle is one or more stars and nothing else. */
  starsOnly: boolean;
}

/** A mask's alternatives (its `{a,b}` expanded). */
type Compiled = Alternative[];

/** The most alternatives a mask's braces may expand to (`{a,b}{c,d}` is four). */
export const MAX_ALTERNATIVES = 1024;

const cache = new Map<string, Compiled>();

/**
 * Compiles a mask into its alternatives, each a list of tokens. Throws an `INVALID_PATH`
 * VfsError naming the mask for a class range written backwards (`[z-a]`) and for braces that
 * expand to more than {@linkcode MAX_ALTERNATIVES} alternatives.
 *
 * Not a regular expression: V8's backtracks, and a mask of many stars (`*a*a*a*a*a*b`) took
 * minutes against a long name it does not match, with the job unable to stop meanwhile.
 * Matching a compiled mask takes time proportional to the name's length times the mask's.
 */
export function compileGlob(mask: string): Compiled {
  const hit = cache.get(mask);
  if (hit) return hit;
  const chars = Array.from(mask);
  let i = 0;
  /** Parses up to the end, or (inside braces) up to a `,` or `}` at this depth. */
  const parse = (inBraces: boolean): Token[][] => {
    let alts: Token[][] = [[]];
    const add = (tok: Token) => alts.forEach((a) => a.push(tok));
    while (i < chars.length) {
      const c = chars[i]!;
      if (inBraces && (c === "," || c === "}")) return alts;
      i++;
      if (c === "\\" && i < chars.length) {
        add({ t: "char", c: chars[i++]! });
      } else if (c === "*") {
        add({ t: "star" });
      } else if (c === "?") {
        add({ t: "one" });
      } else if (c === "[" && chars.indexOf("]", i + 1) > 0) {
        const end = chars.indexOf("]", i + 1);
        let body = chars.slice(i, end);
        i = end + 1;
        const negate = body[0] === "!" || body[0] === "^";
        if (negate) body = body.slice(1);
        add({ t: "class", negate, items: classItems(body, mask) });
      } else if (c === "{") {
        const options: Token[][] = [];
        for (;;) {
          options.push(...parse(true));
          if (i >= chars.length) break; // unclosed: as if closed at the end
          if (chars[i++] === "}") break;
        }
        if (alts.length * options.length > MAX_ALTERNATIVES) {
          throw new VfsError(
            "INVALID_PATH",
            `The mask "${mask}" has more than ${MAX_ALTERNATIVES} alternatives in its {…}`,
          );
        }
        alts = alts.flatMap((a) => options.map((o) => [...a, ...o]));
      } else {
        add({ t: "char", c });
      }
    }
    return alts;
  };
  const out = parse(false).map(toAlternative);
  if (cache.size > 500) cache.clear();
  cache.set(mask, out);
  return out;
}

/** A class's body (`a-z0`) as single characters and ranges. */
function classItems(body: string[], mask: string): (string | [string, string])[] {
  const items: (string | [string, string])[] = [];
  for (let k = 0; k < body.length; k++) {
    // A backslash in a class is itself, as it was when masks were regular expressions.
    const c = body[k]!;
    if (body[k + 1] === "-" && k + 2 < body.length) {
      const to = body[k + 2]!;
      if (to.codePointAt(0)! < c.codePointAt(0)!) {
        throw new VfsError(
          "INVALID_PATH",
          `The mask "${mask}" has the range ${c}-${to} backwards (write ${to}-${c})`,
        );
      }
      items.push([c, to]);
      k += 2;
    } else {
      items.push(c);
    }
  }
  return items;
}

function toAlternative(tokens: Token[]): Alternative {
  const plain = (t: Token | undefined): t is Extract<Token, { t: "char" }> => t?.t === "char";
  let h = 0;
  while (plain(tokens[h])) h++;
  let e = tokens.length;
  while (e > h && plain(tokens[e - 1])) e--;
  const text = (ts: Token[]) => ts.map((t) => (t as Extract<Token, { t: "char" }>).c).join("");
  const middle = tokens.slice(h, e);
  return {
    head: text(tokens.slice(0, h)),
    tail: text(tokens.slice(e)),
    middle: toSteps(middle),
    starsOnly: middle.length > 0 && middle.every((t) => t.t === "star"),
  };
}

function toSteps(tokens: Token[]): Steps {
  const kind = new Uint8Array(tokens.length);
  const code = new Int32Array(tokens.length);
  const classes: (ClassToken | undefined)[] = [];
  let stars = 0;
  tokens.forEach((tok, i) => {
    kind[i] = tok.t === "char" ? CHAR : tok.t === "one" ? ONE : tok.t === "class" ? CLASS : STAR;
    if (tok.t === "char") code[i] = tok.c.codePointAt(0)!;
    if (tok.t === "star") stars++;
    classes.push(tok.t === "class" ? tok : undefined);
  });
  return { kind, code, classes, stars };
}

/** True when step `at` (not a star) takes the code point `cp`. */
function takes(s: Steps, at: number, cp: number): boolean {
  switch (s.kind[at]) {
    case CHAR:
      return s.code[at] === cp;
    case ONE:
      return cp !== SLASH;
    default: {
      const cls = s.classes[at]!;
      const hit = cls.items.some((it) =>
        typeof it === "string"
          ? it.codePointAt(0) === cp
          : cp >= it[0].codePointAt(0)! && cp <= it[1].codePointAt(0)!
      );
      return hit !== cls.negate;
    }
  }
}

/** Marks step `at` reached, and the steps after it while it and they are stars (they may match nothing). */
function reach(s: Steps, set: Uint8Array, at: number): void {
  const n = s.kind.length;
  while (at <= n && !set[at]) {
    set[at] = 1;
    if (at === n || s.kind[at] !== STAR) break;
    at++;
  }
}

/**
 * True when the whole of `name` matches the steps: the states are the steps reached so far,
 * moved on by each character of the name in turn (a star stays where it is on any character
 * but `/`). Without a star there is one way through, walked directly.
 */
function matches(s: Steps, name: string): boolean {
  const n = s.kind.length;
  if (s.stars === 0) {
    let at = 0;
    for (let i = 0; i < name.length; at++) {
      const cp = name.codePointAt(i)!;
      i += cp > 0xffff ? 2 : 1;
      if (at === n || !takes(s, at, cp)) return false;
    }
    return at === n;
  }
  let now = new Uint8Array(n + 1);
  let next = new Uint8Array(n + 1);
  reach(s, now, 0);
  for (let i = 0; i < name.length;) {
    const cp = name.codePointAt(i)!;
    i += cp > 0xffff ? 2 : 1;
    next.fill(0);
    let any = false;
    for (let at = 0; at < n; at++) {
      if (!now[at]) continue;
      if (s.kind[at] === STAR) {
        if (cp !== SLASH) {
          reach(s, next, at);
          any = true;
        }
      } else if (takes(s, at, cp)) {
        reach(s, next, at + 1);
        any = true;
      }
    }
    if (!any) return false;
    [now, next] = [next, now];
  }
  return now[n] === 1;
}

/** True when `name` matches one alternative of a mask. */
function matchesAlternative(alt: Alternative, name: string): boolean {
  const { head, tail } = alt;
  if (
    name.length < head.length + tail.length || !name.startsWith(head) || !name.endsWith(tail)
  ) return false;
  const middle = name.slice(head.length, name.length - tail.length);
  return alt.starsOnly ? !middle.includes("/") : matches(alt.middle, middle);
}

/** True when `name` matches `mask`. */
export function matchGlob(mask: string, name: string): boolean {
  return compileGlob(mask).some((alt) => matchesAlternative(alt, name));
}
