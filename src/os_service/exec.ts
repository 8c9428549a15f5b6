/**
 * Runs the service manager's tools (`systemctl`, `launchctl`) found on PATH, so a test can put
 * stand-ins first on PATH.
 *
 * @module
 */

import { CliError } from "../errors.ts";

/** The outcome of one tool run. */
export interface ToolResult {
  code: number;
  stdout: string;
  stderr: string;
}

/** Runs `cmd args` to completion; a missing tool is a CliError naming it. */
export async function runTool(cmd: string, args: string[]): Promise<ToolResult> {
  let out: Deno.CommandOutput;
  try {
    out = await new Deno.Command(cmd, { args, stdin: "null", stdout: "piped", stderr: "piped" })
      .output();
  } catch (err) {
    if (err instanceof Deno.errors.NotFound) {
      throw new CliError(`Cannot run "${cmd}": it is not installed or not on PATH`);
    }
    throw err;
  }
  const dec = new TextDecoder();
  return { code: out.code, stdout: dec.decode(out.stdout), stderr: dec.decode(out.stderr) };
}

/** Runs `cmd args` and fails with its own words when it exits non-zero. */
export async function mustRun(cmd: string, args: string[]): Promise<ToolResult> {
  const r = await runTool(cmd, args);
  if (r.code !== 0) {
    const why = (r.stderr.trim() || r.stdout.trim()).split("\n").at(-1) ?? "";
    throw new CliError(
      `"${[cmd, ...args].join(" ")}" failed (exit ${r.code})${why ? `: ${why}` : ""}`,
    );
  }
  return r;
}
