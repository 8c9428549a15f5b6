/**
 * `aft secret set|list|rm`: secrets are write-only, `list` shows names and dates.
 *
 * @module
 */

import { UsageError } from "../errors.ts";
import { createEngine } from "../engine/mod.ts";
import { esc, type GlobalOptions, printJson, printTable, shortTime } from "./_output.ts";

/** Options of `aft secret`. */
export interface SecretOptions extends GlobalOptions {
  /** `set --from-file F`. */
  fromFile?: string;
  json?: boolean;
}

async function readValue(args: string[], opts: SecretOptions): Promise<string> {
  if (args[1] !== undefined && opts.fromFile) {
    throw new UsageError("Give the value or --from-file, not both");
  }
  if (args[1] !== undefined) return args[1];
  let text: string;
  if (opts.fromFile) {
    try {
      text = await Deno.readTextFile(opts.fromFile);
    } catch (err) {
      throw new UsageError(`Cannot read "${opts.fromFile}": ${(err as Error).message}`);
    }
  } else {
    if (Deno.stdin.isTerminal()) console.error("Enter the secret's value, then Ctrl-D:");
    text = await new Response(Deno.stdin.readable).text();
  }
  return text.replace(/\r?\n$/, "");
}

/** Entry of `aft secret`. */
export default async function secret(
  action: string,
  args: string[],
  opts: SecretOptions,
): Promise<number> {
  const name = args[0] ?? "";
  const value = action === "set" ? await readValue(args, opts) : "";
  const engine = await createEngine({ dataDir: opts.data });
  try {
    switch (action) {
      case "set": {
        const { secret, created } = await engine.secrets.set(name, value);
        console.error(`${created ? "stored" : "updated"} secret "${esc(secret.name)}"`);
        return 0;
      }
      case "list": {
        const all = await engine.secrets.list();
        if (opts.json) printJson(all);
        else {
          printTable(
            ["name", "created", "updated"],
            all.map((s) => [s.name, shortTime(s.createdAt), shortTime(s.updatedAt)]),
            "(no secrets)",
          );
        }
        return 0;
      }
      case "rm": {
        await engine.secrets.remove(name);
        console.error(`removed secret "${esc(name)}"`);
        return 0;
      }
    }
    throw new UsageError(`Unknown action "${action}"`);
  } finally {
    await engine.close();
  }
}
