import assert from "node:assert/strict";
import { Buffer } from "node:buffer";
import { join } from "node:path";
import {
  forceKeyExchange,
  loginTo,
  type SshServer,
  startSshd,
} from "../../../tests/fixtures/sshd.ts";
import { assertSameBytes } from "../../../tests/fixtures/same_bytes.ts";
import ssh2, { type CipherAlgorithm, type Client, type SFTPWrapper } from "./ssh2.ts";
import { type PacketPool, poolPackets } from "./packet_pool.ts";
import { batchWrites } from "./transport.ts";
import { dataPath } from "./data_path.ts";

if (Deno.build.os !== "linux") {
  Deno.test({ name: "packet pool (runs on Linux, against OpenSSH's sshd)", ignore: true, fn() {} });
} else {
  const call = <T>(fn: (cb: (err: Error | null | undefined, v?: T) => void) => void) =>
    new Promise<T>((resolve, reject) => fn((err, v) => err ? reject(err) : resolve(v as T)));

  const connect = async (
    server: SshServer,
    cipher: CipherAlgorithm,
  ): Promise<{ client: Client; sftp: SFTPWrapper; pool?: PacketPool }> => {
    const client = new ssh2.Client();
    const ready = loginTo(client, server, { algorithms: { cipher: [cipher] } });
    const pool = poolPackets(client);
    batchWrites(client, pool);
    await ready;
    const sftp = await call<SFTPWrapper>((cb) => client.sftp(cb));
    return { client, sftp, pool };
  };

  /** Writes `data` in 64 KiB WRITEs through the data path, all in flight at once. */
  const upload = async (sftp: SFTPWrapper, path: string, data: Uint8Array) => {
    const handle = await call<Buffer>((cb) => sftp.open(path, "w", cb));
    const fast = dataPath(sftp)!;
    const writes: Promise<void>[] = [];
    for (let at = 0; at < data.length; at += 65_536) {
      const part = data.subarray(at, Math.min(at + 65_536, data.length));
      writes.push(
        new Promise((resolve, reject) =>
          fast.write(handle, at, part, () => {}, (err) => err ? reject(err) : resolve())
        ),
      );
    }
    await Promise.all(writes);
    await call((cb) => sftp.close(handle, cb));
  };

  const random = (n: number) => {
    const data = new Uint8Array(n);
    for (let at = 0; at < n; at += 65_536) crypto.getRandomValues(data.subarray(at, at + 65_536));
    return data;
  };

  Deno.test("packet pool: AES-GCM packets are built in slots used again, before and after a key exchange, and the server gets every byte", async () => {
    const server = await startSshd();
    const { client, sftp, pool } = await connect(server, "aes128-gcm@openssh.com");
    try {
      assert.ok(pool, "ssh2's protocol object is as the pool expects");
      const data = random(3 * 1024 * 1024 + 77);
      const path = join(server.dir, "pooled.bin");
      await upload(sftp, path, data);
      assertSameBytes(await Deno.readFile(path), data, "first upload");
      const before = pool.reused;
      assert.ok(before > 0, "slots came back and were used again");
      // A key exchange installs a new cipher: its packets are pooled too.
      await forceKeyExchange(client);
      await upload(sftp, path, data);
      assertSameBytes(await Deno.readFile(path), data, "after the key exchange");
      assert.ok(pool.reused > before + 50, `${pool.reused - before} slots used again`);
    } finally {
      client.end();
      await server.stop();
    }
  });

  Deno.test("packet pool: other ciphers keep ssh2's own packets, and a client with no protocol gets no pool", async () => {
    assert.equal(poolPackets({}), undefined);
    const server = await startSshd();
    const { client, sftp, pool } = await connect(server, "aes128-ctr");
    try {
      const data = random(1024 * 1024 + 5);
      const path = join(server.dir, "ctr.bin");
      await upload(sftp, path, data);
      assertSameBytes(await Deno.readFile(path), data);
      assert.equal(pool?.reused, 0);
    } finally {
      client.end();
      await server.stop();
    }
  });
}
