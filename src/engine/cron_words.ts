/**
 * A cron expression in words, as the schedule pages show it beside the next run times:
 * `0 9 * * 1-5` is "At 09:00, Monday to Friday". It reads what croner (the scheduler) reads:
 * five fields, or six with seconds first, or seven with a year last; names of months and days;
 * lists, ranges and steps; `L`, `W`, `#` and the `+` that makes day of month and day of week
 * both required (otherwise either is enough, as in Vixie cron); the `@daily` nicknames.
 *
 * The words say what the fields say; the run times themselves come from croner. An expression
 * this module cannot put in words gets `null` (the page then shows the times only).
 *
 * @example
 * ```ts
 * describeCron("*\/15 * * * *"); // "Every 15 minutes"
 * describeCron("30 2 1 * *");   // "At 02:30, on day 1 of the month"
 * ```
 * @module
 */

const NICKNAMES: Record<string, string> = {
  "@yearly": "0 0 1 1 *",
  "@annually": "0 0 1 1 *",
  "@monthly": "0 0 1 * *",
  "@weekly": "0 0 * * 0",
  "@daily": "0 0 * * *",
  "@midnight": "0 0 * * *",
  "@hourly": "0 * * * *",
};

const MONTHS = [
  "January",
  "February",
  "March",
  "April",
  "May",
  "June",
  "July",
  "August",
  "September",
  "October",
  "November",
  "December",
];
const DAYS = ["Sunday", "Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday"];
const ORDINALS = ["", "first", "second", "third", "fourth", "fifth"];

/** Not describable: the caller gets null. */
class Unsure extends Error {}

/** One element of a field's list: a value, a range, either with a step, or `*` with a step. */
interface Part {
  from: number | "*";
  to?: number;
  step?: number;
}

function num(s: string, names: readonly string[] = [], base = 0): number {
  const i = names.findIndex((n) => n.slice(0, 3).toLowerCase() === s.toLowerCase());
  if (i >= 0) return i + base;
  if (!/^\d+$/.test(s)) throw new Unsure();
  return Number(s);
}

function parts(field: string, names: readonly string[] = [], base = 0): Part[] {
  return field.split(",").map((p) => {
    const [range, stepText] = p.split("/");
    if (range === undefined || p.split("/").length > 2) throw new Unsure();
    const step = stepText === undefined ? undefined : num(stepText);
    if (step === 0) throw new Unsure();
    if (range === "*" || range === "?") return { from: "*", step };
    const [a, b, ...rest] = range.split("-");
    if (rest.length > 0 || a === undefined) throw new Unsure();
    const from = num(a, names, base);
    if (b === undefined) return step === undefined ? { from } : { from, to: undefined, step };
    return { from, to: num(b, names, base), step };
  });
}

const isAny = (f: string) => f === "*" || f === "?";
const isSingle = (f: string) => /^\d+$/.test(f);

/** "a", "a and b", "a, b and c". */
function list(items: string[]): string {
  if (items.length <= 1) return items[0] ?? "";
  return `${items.slice(0, -1).join(", ")} and ${items.at(-1)}`;
}

const pad = (n: number) => String(n).padStart(2, "0");
const plural = (n: number, unit: string) => n === 1 ? unit : `${n} ${unit}s`;

/** A field in words: "every 5 minutes", "minutes 0 to 10", "minutes 5 and 35". */
function fieldWords(field: string, unit: string, show: (n: number) => string = String): string {
  if (isAny(field)) return `every ${unit}`;
  const ps = parts(field);
  const words = ps.map((p) => {
    if (p.from === "*") return `every ${plural(p.step!, unit)}`;
    if (p.to === undefined && p.step === undefined) return show(p.from);
    const span = p.to === undefined ? `from ${show(p.from)}` : `${show(p.from)} to ${show(p.to)}`;
    return p.step === undefined
      ? span
      : `every ${plural(p.step, unit)} ${p.to === undefined ? span : `from ${span}`}`;
  });
  const plain = ps.every((p) => p.from !== "*" && p.step === undefined);
  if (!plain) return list(words);
  const many = ps.length > 1 || ps[0]!.to !== undefined;
  return `${many ? `${unit}s` : unit} ${list(words)}`;
}

/** The hours a time runs in: "between 09:00 and 17:59", "in the hours of 08:00 and 20:00". */
function hourWords(hour: string): string {
  const ps = parts(hour);
  if (ps.length === 1) {
    const p = ps[0]!;
    if (p.from === "*") return `every ${plural(p.step!, "hour")}`;
    const end = p.to ?? 23;
    if (p.step !== undefined) {
      return `every ${plural(p.step, "hour")} between ${pad(p.from)}:00 and ${pad(end)}:59`;
    }
    if (p.to !== undefined) return `between ${pad(p.from)}:00 and ${pad(p.to)}:59`;
    return `in the hour of ${pad(p.from)}:00`;
  }
  if (ps.every((p) => p.from !== "*" && p.to === undefined && p.step === undefined)) {
    return `in the hours of ${list(ps.map((p) => `${pad(p.from as number)}:00`))}`;
  }
  return `in ${fieldWords(hour, "hour", (h) => `${pad(h)}:00`)}`;
}

/** The time of day in words; `fixed` when it names clock times ("At 02:30"). */
function timeWords(sec: string, min: string, hour: string): { text: string; fixed: boolean } {
  const secs = isSingle(sec) ? Number(sec) : undefined;
  const singles = (f: string) => f.split(",").every(isSingle) ? f.split(",").map(Number) : null;
  const hours = singles(hour);
  const mins = singles(min);
  if (secs !== undefined && hours && mins && hours.length * mins.length <= 6) {
    const times = hours.flatMap((h) =>
      mins.map((m) => `${pad(h)}:${pad(m)}${secs ? `:${pad(secs)}` : ""}`)
    );
    return { text: `At ${list(times)}`, fixed: true };
  }
  const secPart = secs === 0 ? "" : fieldWords(sec, "second");
  if (isAny(min) && isAny(hour)) {
    const text = secPart
      ? cap(secPart) + (secs === undefined ? "" : " of every minute")
      : "Every minute";
    return { text, fixed: false };
  }
  const the = isAny(hour) ? "every hour" : "the hour";
  let minPart: string;
  if (isAny(min)) minPart = "every minute";
  else if (/^\*\/\d+$/.test(min)) minPart = fieldWords(min, "minute");
  else if (isSingle(min) && Number(min) === 0) minPart = `at the start of ${the}`;
  else minPart = `at ${fieldWords(min, "minute")} past ${the}`;
  let hourPart = isAny(hour) ? "" : hourWords(hour);
  if (/^every \d+ hours$/.test(hourPart) && minPart === "at the start of the hour") {
    minPart = "";
    hourPart = `${hourPart}, on the hour`;
  }
  return { text: cap([secPart, minPart, hourPart].filter(Boolean).join(", ")), fixed: false };
}

function dayOfMonthWords(dom: string): string {
  if (dom === "L") return "on the last day of the month";
  const w = /^(\d+)W$/.exec(dom);
  if (w) return `on the weekday nearest day ${w[1]} of the month`;
  if (/[LW]/.test(dom)) throw new Unsure();
  const every = /^\*\/(\d+)$/.exec(dom);
  if (every) return `every ${every[1]} days of the month, from day 1`;
  return `on ${fieldWords(dom, "day")} of the month`;
}

function dayOfWeekWords(dow: string): string {
  const nth = /^([a-z]{3}|\d)#(\d|L)$/i.exec(dow);
  if (nth) {
    const n = num(nth[1]!, DAYS);
    const day = n > 7 ? undefined : DAYS[n % 7];
    if (!day) throw new Unsure();
    const which = nth[2] === "L" ? "last" : ORDINALS[Number(nth[2])];
    if (!which) throw new Unsure();
    return `on the ${which} ${day} of the month`;
  }
  const last = /^([a-z]{3}|\d)L$/i.exec(dow);
  if (last) {
    const n = num(last[1]!, DAYS);
    if (n > 7) throw new Unsure();
    return `on the last ${DAYS[n % 7]} of the month`;
  }
  if (/[L#W]/i.test(dow)) throw new Unsure();
  const ps = parts(dow, DAYS);
  const name = (n: number) => {
    if (n > 7) throw new Unsure();
    return DAYS[n % 7]!;
  };
  if (ps.every((p) => p.from !== "*" && p.step === undefined)) {
    const words = ps.map((p) =>
      p.to === undefined ? name(p.from as number) : `${name(p.from as number)} to ${name(p.to)}`
    );
    return ps.length === 1 && ps[0]!.to !== undefined ? words[0]! : `on ${list(words)}`;
  }
  return `on ${fieldWords(dow, "day of the week", name)}`;
}

function monthWords(month: string): string {
  const ps = parts(month, MONTHS, 1);
  const names = (n: number) => {
    const m = MONTHS[n - 1];
    if (m === undefined) throw new Unsure();
    return m;
  };
  const set: number[] = [];
  for (const p of ps) {
    const from = p.from === "*" ? 1 : p.from;
    const to = p.to ?? (p.from === "*" || p.step !== undefined ? 12 : from);
    for (let m = from; m <= to; m += p.step ?? 1) set.push(m);
  }
  const sorted = [...new Set(set)].sort((a, b) => a - b);
  if (sorted.length === 12) return "";
  const single = ps.length === 1 && ps[0]!.to !== undefined && ps[0]!.step === undefined;
  return single
    ? `from ${names(sorted[0]!)} to ${names(sorted.at(-1)!)}`
    : `in ${list(sorted.map(names))}`;
}

const cap = (s: string) => s.charAt(0).toUpperCase() + s.slice(1);

/** The expression in words, or null when it cannot say (the expression may still be valid). */
export function describeCron(expr: string): string | null {
  const text = NICKNAMES[expr.trim().toLowerCase()] ?? expr.trim();
  const f = text.split(/\s+/);
  if (f.length < 5 || f.length > 7) return null;
  const [sec, min, hour, dom, month, dowRaw, year] = f.length === 5 ? ["0", ...f] : f;
  try {
    const { text: time, fixed } = timeWords(sec!, min!, hour!);
    const and = dowRaw!.startsWith("+");
    const dow = and ? dowRaw!.slice(1) : dowRaw!;
    let days = "";
    if (!isAny(dom!) && !isAny(dow)) {
      days = and
        ? `${dayOfMonthWords(dom!)}, if it is ${dayOfWeekWords(dow).replace(/^on /, "a ")}`
        : `${dayOfMonthWords(dom!)}, or ${dayOfWeekWords(dow)}`;
    } else if (!isAny(dom!)) days = dayOfMonthWords(dom!);
    else if (!isAny(dow)) days = dayOfWeekWords(dow);
    else if (fixed) days = "every day";
    const months = monthWords(month!);
    const years = year === undefined || isAny(year) ? "" : `in ${fieldWords(year, "year")}`;
    return [time, days, months, years].filter(Boolean).join(", ");
  } catch (err) {
    if (err instanceof Unsure) return null;
    throw err;
  }
}
