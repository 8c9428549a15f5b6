/**
 * The password policy of console admins and the strength estimate behind the browser's meter:
 * one module, imported by the engine (which enforces the policy) and bundled into the console's
 * client code (which shows the meter as the password is typed), so both always agree. It
 * imports nothing.
 *
 * The policy: at least 12 characters, not the user name, not a very common password (a small
 * built-in list, compared after undoing case, common letter-for-digit swaps and trailing
 * digits). The estimate counts the guesses an attacker who knows these tricks would need: each
 * stretch of the password is priced as the cheapest of a dictionary word, a repeat, a keyboard
 * or alphabet sequence, or random characters from the classes in use.
 *
 * @example
 * ```ts
 * passwordProblems("password1234", "ada"); // ["It is one of the most common passwords"]
 * estimateStrength("correct horse battery staple").score; // 4
 * ```
 * @module
 */

/** Fewest characters a password may have. */
export const MIN_PASSWORD_LENGTH = 12;
/** Most characters a password may have (scrypt takes any length; a bound keeps requests small). */
export const MAX_PASSWORD_LENGTH = 1024;

/** Very common passwords and their stems, lower case (from public breach statistics). */
export const COMMON_PASSWORDS: readonly string[] = `
  password passw0rd 123456 12345678 123456789 1234567890 qwerty qwertyuiop asdfghjkl zxcvbnm
  abc123 111111 000000 123123 654321 iloveyou admin administrator welcome letmein monkey dragon
  football baseball master sunshine princess shadow superman batman trustno1 whatever freedom
  starwars pokemon computer internet secret changeme default login access hello charlie michael
  jennifer jordan hunter ranger buster soccer hockey killer george andrew daniel thomas jessica
  ashley nicole matthew maggie summer winter spring autumn flower cookie chocolate butterfly
  purple orange yellow silver golden diamond pepper ginger tigger loveme lovely angel mustang
  harley corvette ferrari mercedes liverpool chelsea arsenal barcelona yankees cowboys qazwsx
  1q2w3e4r 1qaz2wsx zaq12wsx q1w2e3r4 aa123456 password1 123qwe qwe123 asdf zxcv 987654321
  123321 112233 666666 888888 121212 7777777 159753 147258369 11111111 00000000 testing test
  guest root toor user backup server oracle postgres mysql system manager office company
  business qwerty123 welcome1 monday friday january december love family money happy lucky magic
  music player gamer ninja pirate wizard warrior knight phoenix thunder blink182 matrix samsung
  apple google microsoft linux windows syncplify aft transfer filetransfer sftp backupjob
  letmein1
`.trim().split(/\s+/);

const COMMON = new Set(COMMON_PASSWORDS);

/** Below this estimate a password is only a pattern ("111111111111", "1234567890ab"). */
const PATTERN_BITS = 28;

/** Letters that people swap for digits and symbols, undone. */
const LEET: Readonly<Record<string, string>> = {
  "0": "o",
  "1": "i",
  "3": "e",
  "4": "a",
  "5": "s",
  "7": "t",
  "8": "b",
  "@": "a",
  "$": "s",
  "!": "i",
  "|": "l",
  "+": "t",
};

/** `text` in lower case with the usual letter swaps undone. */
function unleet(text: string): string {
  return [...text.toLowerCase()].map((c) => LEET[c] ?? c).join("");
}

/** True when `password` is a common one, however it is dressed up. */
export function isCommonPassword(password: string): boolean {
  const lower = password.toLowerCase().trim();
  // "Password2024!", "!!qwerty": the stem without digits and symbols around it.
  const stem = (c: string) => c.replace(/[\d\W_]+$/u, "").replace(/^[\d\W_]+/u, "");
  const candidates = new Set<string>();
  for (const c of [lower, stem(lower)]) {
    for (const d of [c, unleet(c), stem(unleet(c))]) {
      candidates.add(d);
      // "passwordpassword", "abc123abc123": one stem repeated.
      const m = /^(.+?)\1+$/u.exec(d);
      if (m) candidates.add(m[1]!);
    }
  }
  for (const c of candidates) if (c !== "" && COMMON.has(c)) return true;
  return false;
}

/** Why `password` is refused for the admin `username`; empty when it is allowed. */
export function passwordProblems(password: string, username = ""): string[] {
  const out: string[] = [];
  const length = [...password].length;
  if (length < MIN_PASSWORD_LENGTH) {
    out.push(`It must have at least ${MIN_PASSWORD_LENGTH} characters (it has ${length})`);
  }
  if (length > MAX_PASSWORD_LENGTH) {
    out.push(`It must have at most ${MAX_PASSWORD_LENGTH} characters`);
  }
  const user = username.trim().toLowerCase();
  const lower = password.trim().toLowerCase();
  if (user !== "" && (lower === user || lower === [...user].reverse().join(""))) {
    out.push("It must not be the user name");
  }
  if (isCommonPassword(password)) out.push("It is one of the most common passwords");
  else if (out.length === 0 && estimateBits(password, username) < PATTERN_BITS) {
    out.push("It is a pattern that is guessed at once (repeats or a keyboard sequence)");
  }
  return out;
}

/** How strong a password looks, for the meter. */
export interface Strength {
  /** 0 very weak, 1 weak, 2 fair, 3 good, 4 strong. */
  score: 0 | 1 | 2 | 3 | 4;
  /** The estimate in bits (log2 of the guesses needed). */
  bits: number;
  label: "Very weak" | "Weak" | "Fair" | "Good" | "Strong";
  /** What would make it stronger, or why it is refused; one sentence each. */
  hints: string[];
}

const LABELS = ["Very weak", "Weak", "Fair", "Good", "Strong"] as const;

const ROWS = ["qwertyuiop", "asdfghjkl", "zxcvbnm", "1234567890", "abcdefghijklmnopqrstuvwxyz"];

/** Bits of the cheapest way to guess `part`, a stretch of the password. */
function partBits(part: string, pool: number): number {
  const n = part.length;
  const random = n * Math.log2(pool);
  const lower = unleet(part);
  let best = random;
  // A word of the list (any case, swapped letters): its rank among the list, a bit per capital.
  if (COMMON.has(lower)) {
    const caps = [...part].filter((c) => c !== c.toLowerCase()).length;
    best = Math.min(best, Math.log2(COMMON.size) + caps + 1);
  }
  // One character repeated.
  if (n >= 3 && /^(.)\1+$/su.test(part)) best = Math.min(best, Math.log2(pool) + Math.log2(n));
  // A run along a keyboard row or the alphabet, forwards or backwards.
  if (n >= 3) {
    const p = part.toLowerCase();
    const rev = [...p].reverse().join("");
    if (ROWS.some((r) => r.includes(p) || r.includes(rev))) {
      best = Math.min(best, Math.log2(ROWS.join("").length) + Math.log2(n) + 1);
    }
  }
  return best;
}

/** The number of characters of the classes `password` uses. */
function poolSize(password: string): number {
  let pool = 0;
  if (/[a-z]/.test(password)) pool += 26;
  if (/[A-Z]/.test(password)) pool += 26;
  if (/\d/.test(password)) pool += 10;
  if (/[^\w\s]|_/.test(password)) pool += 33;
  if (/\s/.test(password)) pool += 1;
  if (/[^\u0020-\u007e\s]/u.test(password)) pool += 100;
  return Math.max(pool, 10);
}

/**
 * The cheapest split of the password into parts (dynamic programming over its positions, parts
 * of up to 20 characters), each priced by `partBits`; the user name inside it costs nearly
 * nothing.
 */
function estimateBits(password: string, username: string): number {
  const chars = [...password];
  const n = chars.length;
  if (n === 0) return 0;
  const pool = poolSize(password);
  const user = username.trim().toLowerCase();
  const best = new Array<number>(n + 1).fill(Infinity);
  best[0] = 0;
  for (let end = 1; end <= n; end++) {
    for (let start = Math.max(0, end - 20); start < end; start++) {
      const part = chars.slice(start, end).join("");
      let bits = partBits(part, pool);
      if (user.length >= 3 && part.toLowerCase() === user) bits = Math.min(bits, 2);
      best[end] = Math.min(best[end]!, best[start]! + bits);
    }
  }
  // Each extra part costs a little (where the pieces join is not known to the attacker).
  return best[n]!;
}

/** The meter's estimate for `password` of the admin `username`. */
export function estimateStrength(password: string, username = ""): Strength {
  const problems = passwordProblems(password, username);
  const bits = Math.round(estimateBits(password, username));
  let score: Strength["score"] = bits < 35 ? 0 : bits < 50 ? 1 : bits < 65 ? 2 : bits < 80 ? 3 : 4;
  if (problems.length > 0) score = Math.min(score, 1) as Strength["score"];
  const hints = [...problems];
  if (problems.length === 0 && score < 3) {
    hints.push("Make it longer: several unrelated words are easy to remember and hard to guess");
  }
  return { score, bits, label: LABELS[score], hints };
}
