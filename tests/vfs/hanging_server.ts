/**
 * What a remote VFS must do when its server hangs in the middle of work (tests/fixtures/proxy.ts
 * `stallNow`): a stat, a read under way and a write under way each fail with one TIMEOUT error
 * after the VFS's `idleTimeoutSeconds`, instead of waiting for ever. The VFS under test is
 * opened through the proxy with that option at 1 s.
 */

import assert from "node:assert/strict";
import type { DroppingProxy } from "../fixtures/proxy.ts";
import { within } from "../fixtures/within.ts";
import { isVfsError, type Vfs } from "../../src/vfs/types.ts";
import { put, randomBytes } from "./_util.ts";

const MiB = 1024 * 1024;

/**
 * Stalls `proxy` with a read and a write of `vfs` under way and checks that they, and a stat
 * after them, fail with TIMEOUT (`message` matching), well within 60 s.
 */
export async function assertHangFails(
  vfs: Vfs,
  proxy: DroppingProxy,
  message: RegExp,
): Promise<void> {
  // Larger than what the kernel's buffers between server, proxy and client can hold, so that
  // the read still has bytes to wait for once the server hangs.
  const size = 32 * MiB;
  await put(vfs, "/big.bin", randomBytes(size));
  const reader = (await vfs.openRead("/big.bin")).getReader();
  const first = await reader.read();
  assert.ok(first.value && first.value.length > 0, "the read has begun");
  const writer = (await vfs.openWrite("/new.bin")).getWriter();
  const chunk = new Uint8Array(MiB).fill(7);
  await writer.write(chunk.slice());
  proxy.stallNow();

  const reading = (async () => {
    for (;;) if ((await reader.read()).done) break;
  })();
  const writing = (async () => {
    for (let i = 0; i < 64; i++) await writer.write(chunk.slice());
    await writer.close();
  })();
  const timedOut = (what: string) => (e: unknown) => {
    assert.ok(isVfsError(e, "TIMEOUT"), `${what}: ${e}`);
    assert.match((e as Error).message, message);
    return true;
  };
  const started = performance.now();
  await Promise.all([
    assert.rejects(within(reading, "the read's failure", 60_000), timedOut("the read")),
    assert.rejects(within(writing, "the write's failure", 60_000), timedOut("the write")),
    assert.rejects(within(vfs.stat("/big.bin"), "the stat's failure", 60_000), timedOut("stat")),
  ]);
  const waited = performance.now() - started;
  assert.ok(waited >= 900, `failed after ${waited} ms, before the idle time`);
  await writer.abort().catch(() => {});
  await reader.cancel().catch(() => {});
}
