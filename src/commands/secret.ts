/**
 * `aft secret set|list|rm`: secrets are write-only, `list` shows names and dates.
 *
 * @module
 */

import { CliError, UsageError } from "../errors.ts";
import { createEngine } from "../engine/engine.ts";
import { StoreError } from "../store/types.ts";
import { printJson, printTable, shortTime } from "./_output.ts";

async function readValue(args: string[], opts: Record<string, unknown>): Promise<string> {
  if (args[1] !== undefined && opts.fromFile) {
    throw new UsageError("Give the value or --from-file, not both");
  }
  if (args[1] !== undefined) return args[1];
  let text: string;
  if (opts.fromFile) {
    try {
      text = await Deno.readTextFile(String(opts.fromFile));
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
  opts: Record<string, unknown>,
): Promise<number> {
  const name = args[0] ?? "";
  const value = action === "set" ? await readValue(args, opts) : "";
  if (action === "set" && value === "") throw new UsageError("A secret's value cannot be empty");
  const engine = await createEngine({ dataDir: opts.data as string | undefined });
  try {
    switch (action) {
      case "set": {
        const existed = await engine.store.secrets.getByName(name);
        await engine.secrets.set(name, value);
        console.error(`${existed ? "updated" : "stored"} secret "${name}"`);
        return 0;
      }
      case "list": {
        const all = await engine.secrets.list();
        if (opts.json) printJson(all);
        else {printTable(
            ["name", "created", "updated"],
            all.map((s) => [s.name, shortTime(s.createdAt), shortTime(s.updatedAt)]),
            "(no secrets)",
          );}
        return 0;
      }
      case "rm": {
        if (!(await engine.secrets.remove(name))) throw new CliError(`No secret named "${name}"`);
        console.error(`removed secret "${name}"`);
        return 0;
      }
    }
    throw new UsageError(`Unknown action "${action}"`);
  } catch (err) {
    if (err instanceof StoreError) throw new CliError(err.message, err.code === "INVALID" ? 2 : 1);
    throw err;
  } finally {
    await engine.close();
  }
}
