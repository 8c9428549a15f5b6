import assert from "node:assert/strict";
import { loginTo, startSshd } from "../../../tests/fixtures/sshd.ts";
import ssh2, { type SFTPWrapper } from "./ssh2.ts";
import { maxLen } from "./transport.ts";

Deno.test("maxLen() gives the read and write sizes OpenSSH announces by limits@openssh.com", async () => {
  const server = await startSshd();
  const client = new ssh2.Client();
  try {
    await loginTo(client, server);
    const sftp = await new Promise<SFTPWrapper>((resolve, reject) =>
      client.sftp((err, s) => err ? reject(err) : resolve(s))
    );
    const ext = (sftp as unknown as { _extensions: Record<string, string> })._extensions;
    assert.equal(ext["limits@openssh.com"], "1");
    // OpenSSH's sftp-server takes 256 KiB messages and says so (255 KiB of data): without the
    // extension's answer ssh2 would keep its default of about 32 KiB.
    for (const which of ["read", "write"] as const) {
      const n = maxLen(sftp, which);
      assert.ok(n > 128 * 1024 && n <= 256 * 1024, `${which}: ${n}`);
    }
  } finally {
    client.end();
    await server.stop();
  }
});
