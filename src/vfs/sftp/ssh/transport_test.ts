/**
 * The transport against servers that are not what they should be (scripted on 127.0.0.1: a
 * real server does not send these); the real OpenSSH server is in tests/vfs/sftp_test.ts.
 */

import assert from "node:assert/strict";
import { SshTransport } from "./transport.ts";

/** A TCP server on 127.0.0.1 that sends `bytes` to each client, then waits (or hangs up). */
function scripted(bytes: Uint8Array, hangUp: boolean) {
  const l = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  const conns: Deno.Conn[] = [];
  const serving = (async () => {
    for await (const c of l) {
      conns.push(c);
      await c.write(bytes).catch(() => {});
      if (hangUp) c.close();
    }
  })();
  return {
    port: (l.addr as Deno.NetAddr).port,
    async close() {
      l.close();
      await serving.catch(() => {});
      for (const c of conns) {
        try {
          c.close();
        } catch { /* hung up already */ }
      }
    },
  };
}

const connect = (port: number) =>
  SshTransport.connect({
    host: "127.0.0.1",
    port,
    acceptHostKey: () => true,
    readyTimeoutMs: 5_000,
  });

const text = (s: string) => new TextEncoder().encode(s);

Deno.test("transport: a server that is not SSH, an old SSH, or one that sends an impossible packet gives one clear error", async () => {
  const cases: [Uint8Array, boolean, RegExp][] = [
    [text("HTTP/1.1 400 Bad Request\r\n\r\n" + "x".repeat(9000)), false, /Not an SSH server/],
    [text("SSH-1.5-old\r\n"), false, /SSH version aft does not/],
    // A version line, then a packet claiming 2 GiB.
    [
      new Uint8Array([...text("SSH-2.0-x\r\n"), 0x7f, 0xff, 0xff, 0xff, 0, 0, 0, 0]),
      false,
      /failed its check/,
    ],
    [text("SSH-2.0-x\r\n"), true, /closed the connection/],
  ];
  for (const [bytes, hangUp, want] of cases) {
    const s = scripted(bytes, hangUp);
    try {
      await assert.rejects(connect(s.port), want);
    } finally {
      await s.close();
    }
  }
});
