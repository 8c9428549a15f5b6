/**
 * Who may manage the service: root on Linux and macOS, an elevated administrator on Windows.
 * The refusal says which is missing and the command to use instead.
 *
 * @module
 */

import { CliError } from "../errors.ts";

/** True when this process runs elevated on Windows (shell32 `IsUserAnAdmin`). */
export function windowsElevated(): boolean {
  const lib = Deno.dlopen(
    "shell32.dll",
    {
      IsUserAnAdmin: { parameters: [], result: "i32" },
    } as const,
  );
  try {
    return lib.symbols.IsUserAnAdmin() !== 0;
  } finally {
    lib.close();
  }
}

/** True when this process may manage services (root, or an elevated administrator). */
export function privileged(): boolean {
  return Deno.build.os === "windows" ? windowsElevated() : Deno.uid() === 0;
}

/**
 * What is missing to run `aft <command>` here, as a sentence for the user, or undefined when
 * nothing is: root (`sudo aft ...`) on Linux and macOS, an elevated PowerShell on Windows.
 */
export function privilegeProblem(
  command: string,
  os: typeof Deno.build.os = Deno.build.os,
  isPrivileged: boolean = privileged(),
): string | undefined {
  if (isPrivileged) return undefined;
  return os === "windows"
    ? `aft ${command} needs an elevated administrator: run it from an elevated PowerShell ("Run as administrator")`
    : `aft ${command} needs root: run "sudo aft ${command}"`;
}

/** Throws the refusal of {@link privilegeProblem} (exit code 4) when not privileged. */
export function requirePrivilege(command: string): void {
  const problem = privilegeProblem(command);
  if (problem) throw new CliError(problem, 4);
}
