/**
 * The transport against servers that are not what they should be (scripted on 127.0.0.1: a
 * real server does not send these); the real OpenSSH server is in tests/vfs/sftp_test.ts.
 */

import assert from "node:assert/strict";
import { SshTransport } from "./transport.ts";
import { newSealer } from "./cipher.ts";
import { MSG } from "./messages.ts";
import { SshWriter } from "./wire.ts";
import { startSilentServer } from "../../../../tests/fixtures/silent_server.ts";

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
    const s = startSilentServer({ first: bytes, hangUp });
    try {
      await assert.rejects(connect(s.port), want);
    } finally {
      await s.close();
    }
  }
});

/** `payload` as a packet before any keys (RFC 4253 6: no cipher, no MAC). */
function plainPacket(payload: Uint8Array): Uint8Array {
  const plain = newSealer(null);
  const out = new Uint8Array(plain.sealedLength(payload.length));
  void plain.seal([payload], 0, out);
  return out;
}

Deno.test("transport: the server's DISCONNECT during a strict first key exchange ends the connection with the server's text", async () => {
  // OpenSSH's strict key exchange refuses any other message before the first NEWKEYS; a
  // DISCONNECT (here: after the server's KEXINIT) is still the server's word on why it ends.
  const kexInit = new SshWriter(512).byte(MSG.KEXINIT).raw(new Uint8Array(16));
  for (
    const list of [
      ["curve25519-sha256", "kex-strict-s-v00@openssh.com"],
      ["ssh-ed25519"],
      ["aes256-gcm@openssh.com"],
      ["aes256-gcm@openssh.com"],
      ["hmac-sha2-256"],
      ["hmac-sha2-256"],
      ["none"],
      ["none"],
      [],
      [],
    ]
  ) kexInit.nameList(list);
  kexInit.bool(false).u32(0);
  const disconnect = new SshWriter(64).byte(MSG.DISCONNECT).u32(12).string("Too many connections")
    .string("").finish();
  const s = startSilentServer({
    first: new Uint8Array([
      ...text("SSH-2.0-x\r\n"),
      ...plainPacket(kexInit.finish()),
      ...plainPacket(disconnect),
    ]),
  });
  try {
    await assert.rejects(connect(s.port), {
      message: "The server disconnected (12): Too many connections",
    });
  } finally {
    await s.close();
  }
});
