import assert from "node:assert/strict";
import { Buffer } from "node:buffer";
import { join } from "node:path";
import { loginTo, startSshd } from "../../../tests/fixtures/sshd.ts";
import ssh2, { type Client, type SFTPWrapper } from "./ssh2.ts";
import {
  dataPath,
  LINK_RATE,
  MIN_WRITE_AHEAD,
  readParts,
  readsTogether,
  type RequestError,
  writeAhead,
} from "./data_path.ts";
import { maxLen } from "./transport.ts";
import { STATUS } from "./_map_error.ts";
import { assertSameBytes } from "../../../tests/fixtures/same_bytes.ts";
import { joinChunks } from "../../../tests/vfs/_util.ts";
import { startProxy } from "../../../tests/fixtures/proxy.ts";

Deno.test("writeAhead: the bytes a fast link carries in the shortest round trip, at least the minimum", () => {
  assert.equal(writeAhead(undefined), MIN_WRITE_AHEAD);
  assert.equal(writeAhead(0), MIN_WRITE_AHEAD);
  assert.equal(writeAhead(0.3), MIN_WRITE_AHEAD);
  // 20 ms away: 10 MiB, more than OpenSSH's 2 MiB window (the whole window is used).
  assert.equal(writeAhead(20), Math.ceil(LINK_RATE / 50));
  assert.ok(writeAhead(20) > 2 * 1024 * 1024);
});

if (Deno.build.os !== "linux") {
  Deno.test({ name: "data path (runs on Linux, against OpenSSH's sshd)", ignore: true, fn() {} });
} else {
  const channel = (client: Client) =>
    new Promise<SFTPWrapper>((resolve, reject) =>
      client.sftp((err, s) => err ? reject(err) : resolve(s))
    );
  const call = <T>(fn: (cb: (err: Error | null | undefined, v?: T) => void) => void) =>
    new Promise<T>((resolve, reject) => fn((err, v) => err ? reject(err) : resolve(v as T)));
  const read = (sftp: SFTPWrapper, handle: Buffer, pos: number, len: number) =>
    new Promise<{ parts: Uint8Array[]; err?: RequestError }>((resolve) =>
      readParts(sftp, handle, pos, len, (err, parts) => resolve({ parts: parts ?? [], err }))
    );

  /** Reads the whole of a 600,001-byte file in the server's largest reads, and past its end. */
  const readsBack = async (sftp: SFTPWrapper, path: string, data: Uint8Array) => {
    const handle = await call<Buffer>((cb) => sftp.open(path, "r", cb));
    const len = maxLen(sftp, "read");
    const got: Uint8Array[] = [];
    let most = 0;
    for (let at = 0; at < data.length; at += len) {
      const { parts, err } = await read(sftp, handle, at, len);
      assert.equal(err, undefined);
      most = Math.max(most, parts.length);
      got.push(joinChunks(parts));
    }
    assertSameBytes(joinChunks(got), data, "read back");
    // Past the end: OpenSSH answers EOF (ssh2's own read turns that into no bytes).
    const end = await read(sftp, handle, data.length, len);
    assert.equal(joinChunks(end.parts).length, 0);
    if (end.err) assert.equal(end.err.code, STATUS.EOF);
    await call((cb) => sftp.close(handle, cb));
    return most;
  };

  /** Runs `fn` logged in to a fresh sshd that holds `path`, a file of 600,001 random bytes. */
  const withFile = async (
    fn: (client: Client, path: string, data: Uint8Array) => Promise<void>,
  ) => {
    const server = await startSshd();
    const client = new ssh2.Client();
    try {
      await loginTo(client, server);
      const data = new Uint8Array(600_001);
      for (let at = 0; at < data.length; at += 65_536) {
        crypto.getRandomValues(data.subarray(at, at + 65_536));
      }
      const path = join(server.dir, "data-path.bin");
      await Deno.writeFile(path, data);
      await fn(client, path, data);
    } finally {
      client.end();
      await server.stop();
    }
  };

  Deno.test("data path: OpenSSH's DATA answers are taken off ssh2's parser as the SSH packets they came in, and read back whole", async () => {
    await withFile(async (client, path, data) => {
      const sftp = await channel(client);
      const fast = dataPath(sftp);
      assert.ok(fast, "ssh2's internals are as the data path expects");
      const most = await readsBack(sftp, path, data);
      // 600,001 bytes in reads of about 255 KiB: three DATA answers, each in 32 KiB packets.
      assert.equal(fast.answers.taken, 3);
      assert.ok(most > 1, `a 255 KiB answer came as ${most} pieces`);

      // Where ssh2's internals are not as expected, ssh2's own read serves, in one piece.
      const plain = await channel(client);
      delete (plain as unknown as { _maxInPktLen?: number })._maxInPktLen;
      assert.equal(dataPath(plain), undefined);
      assert.equal(await readsBack(plain, path, data), 1);
    });
  });

  Deno.test("data path: READs asked for in readsTogether leave in one SSH packet, and each gets its own answer", async () => {
    await withFile(async (client, path, data) => {
      const sftp = await channel(client);
      const handle = await call<Buffer>((cb) => sftp.open(path, "r", cb));
      const len = maxLen(sftp, "read");
      // Made first: making it sends a WINDOW_ADJUST (its larger incoming window).
      assert.ok(dataPath(sftp), "ssh2's internals are as the data path expects");

      // Every SSH packet leaves through the cipher's encrypt: count them.
      const proto = (sftp as unknown as { _protocol: { _cipher: { encrypt(p: Buffer): void } } })
        ._protocol;
      const cipher = proto._cipher;
      const encrypt = cipher.encrypt;
      let packets = 0;
      cipher.encrypt = function (p: Buffer) {
        packets++;
        return encrypt.call(this, p);
      };
      const reads: Promise<{ parts: Uint8Array[]; err?: RequestError }>[] = [];
      try {
        readsTogether(sftp, () => {
          // Three reads cover the file, the fourth starts at its end.
          for (let k = 0; k < 4; k++) reads.push(read(sftp, handle, k * len, len));
        });
      } finally {
        cipher.encrypt = encrypt;
      }
      assert.equal(packets, 1, "four READs in one packet");
      const got = await Promise.all(reads);
      for (const r of got.slice(0, 3)) assert.equal(r.err, undefined);
      assertSameBytes(joinChunks(got.slice(0, 3).map((r) => joinChunks(r.parts))), data, "read");
      assert.equal(joinChunks(got[3]!.parts).length, 0);
      if (got[3]!.err) assert.equal(got[3]!.err.code, STATUS.EOF);
      await call((cb) => sftp.close(handle, cb));
    });
  });

  /**
   * Writes 24 requests of the server's largest size at once through the data path, the OPEN's
   * round trip told first (as SftpVfs does); answers the most bytes that were in the server's
   * window, the window at the start, and the round trip told, once the bytes landed whole.
   */
  const writeMany = async (sftp: SFTPWrapper, path: string) => {
    const fast = dataPath(sftp);
    assert.ok(fast, "ssh2's internals are as the data path expects");
    const out = (sftp as unknown as { outgoing: { window: number } }).outgoing;
    const full = out.window; // OpenSSH: 2 MiB
    const t0 = performance.now();
    const handle = await call<Buffer>((cb) => sftp.open(path, "w", cb));
    const rtt = performance.now() - t0;
    fast.roundTrip(rtt);
    const len = maxLen(sftp, "write");
    const data = new Uint8Array(len * 24);
    for (let at = 0; at < data.length; at += 65_536) {
      crypto.getRandomValues(data.subarray(at, at + 65_536));
    }
    let most = 0;
    const writes: Promise<void>[] = [];
    for (let at = 0; at < data.length; at += len) {
      writes.push(
        new Promise((resolve, reject) =>
          fast.write(handle, at, data.subarray(at, at + len), () => {
            most = Math.max(most, full - out.window);
          }, (err) => err ? reject(err) : resolve())
        ),
      );
    }
    await Promise.all(writes);
    await call((cb) => sftp.close(handle, cb));
    assertSameBytes(await Deno.readFile(path), data, "written");
    return { most, full, rtt, len };
  };

  Deno.test("data path: writes over a far link (40 ms round trip) fill OpenSSH's whole window", async () => {
    const server = await startSshd();
    const proxy = startProxy({ hostname: "127.0.0.1", port: server.port }, {
      dropAfterBytes: Infinity,
      dropConnections: () => false,
      delayMs: 20,
    });
    const client = new ssh2.Client();
    try {
      await loginTo(client, server, { port: proxy.port });
      const sftp = await channel(client);
      const { most, full, rtt, len } = await writeMany(sftp, join(server.dir, "far.bin"));
      assert.ok(rtt >= 40, `the OPEN took ${rtt} ms`);
      assert.ok(writeAhead(rtt) >= full);
      // As many whole requests as the window takes went out before the first answer.
      assert.ok(most > full - 2 * len, `${most} of ${full} bytes were in the server's window`);
    } finally {
      client.end();
      proxy.close();
      await server.stop();
    }
  });

  Deno.test("data path: writes on a short round trip keep at most the write-ahead in OpenSSH's window, not the whole window, and land whole", async () => {
    const server = await startSshd();
    const client = new ssh2.Client();
    try {
      await loginTo(client, server);
      const sftp = await channel(client);
      dataPath(sftp)!.roundTrip(0.2); // 127.0.0.1, however busy the machine is
      const { most, full, len } = await writeMany(sftp, join(server.dir, "near.bin"));
      // Room for more than the write-ahead and one more request: a sender that fills the
      // window would be seen.
      assert.ok(full > MIN_WRITE_AHEAD + len, `window ${full}`);
      // Before, each write went as soon as the window took it: up to 2 MiB waited in sshd.
      assert.ok(most <= writeAhead(0.2), `${most} bytes were in the server's window`);
      assert.ok(most >= len, `${most} bytes were in the server's window`);
    } finally {
      client.end();
      await server.stop();
    }
  });
}
