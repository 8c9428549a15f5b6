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
import { joinChunks, randomBytes } from "../../../tests/vfs/_util.ts";
import ssh2, { type CipherAlgorithm, type Client, type SFTPWrapper } from "./ssh2.ts";
import { OpenSslGcm, systemOpenSsl } from "./ciphers.ts";
import { CHANNEL_MAX_PACKET, GcmDecipher, largePackets, routeChannelData } from "./gcm_decipher.ts";
import { dataPath } from "./data_path.ts";

const ssl = systemOpenSsl();

if (Deno.build.os !== "linux" || !ssl) {
  Deno.test({ name: "gcm decipher (runs on Linux with OpenSSL)", ignore: true, fn() {} });
} else {
  /** ssh2's reader of uncompressed packets, by the name the decipher checks. */
  class PacketReader {
    read(d: Buffer) {
      return d;
    }
  }

  /** A protocol object as the decipher sees it; `payloads` gets what goes to ssh2. */
  const fakeProtocol = (answer: (payload: Buffer) => unknown = () => undefined) => {
    const payloads: Uint8Array[] = [];
    const proto = {
      _decipher: undefined as unknown,
      _onPayload: (p: Buffer) => {
        payloads.push(new Uint8Array(p));
        return answer(p);
      },
      _onPacket() {},
      _packetRW: { read: new PacketReader() },
      session() {},
    };
    return { proto, payloads };
  };

  const u32 = (v: number) => new Uint8Array([v >>> 24, v >>> 16, v >>> 8, v]);

  /** Packets sealed as an AES-128-GCM SSH sender would (RFC 5647), counting the IV up. */
  const sealer = (key: Uint8Array, iv: Uint8Array) => {
    const nextIv = new Uint8Array(iv);
    return (payload: Uint8Array): Uint8Array => {
      let pad = 16 - ((1 + payload.length) & 15);
      if (pad < 4) pad += 16;
      const len = 1 + payload.length + pad;
      const out = new Uint8Array(4 + len + 16);
      out.set(u32(len), 0);
      out[4] = pad;
      out.set(payload, 5);
      const c = new OpenSslGcm(ssl, 128, key, nextIv, true);
      c.setAAD(out.subarray(0, 4));
      c.update(out.subarray(4, 4 + len));
      c.final();
      out.set(c.getAuthTag(), 4 + len);
      for (let i = 11; i >= 4 && ++nextIv[i]! === 256; i--) nextIv[i] = 0;
      return out;
    };
  };

  const channelData = (id: number, data: Uint8Array) =>
    joinChunks([new Uint8Array([94]), u32(id), u32(data.length), data]);

  const keyAndIv = () => ({
    key: crypto.getRandomValues(new Uint8Array(16)),
    iv: crypto.getRandomValues(new Uint8Array(12)),
  });

  Deno.test("gcm decipher: packets cut at any size arrive whole and in order, routed channel data as pieces", () => {
    for (const cut of [1, 5, 16, 4096, 65_536, 1 << 20]) {
      const { key, iv } = keyAndIv();
      const seal = sealer(key, iv);
      const ignore = new Uint8Array([2, 0, 0, 0, 3, 97, 98, 99]);
      const routedData = randomBytes(70_000);
      const otherData = randomBytes(1000);
      const wire = joinChunks([
        seal(ignore),
        seal(channelData(7, routedData)),
        seal(channelData(8, otherData)),
      ]);
      const { proto, payloads } = fakeProtocol();
      const got: Uint8Array[] = [];
      routeChannelData(proto, 7, (pieces, total) => {
        assert.equal(total, routedData.length);
        got.push(...pieces.map((p) => new Uint8Array(p)));
        return true;
      });
      const d: GcmDecipher = new GcmDecipher(ssl, proto, 128, key, iv, 5, proto._onPayload);
      for (let at = 0; at < wire.length; at += cut) {
        const chunk = Buffer.from(wire.subarray(at, Math.min(at + cut, wire.length)));
        assert.equal(d.decrypt(chunk, 0, chunk.length), undefined);
      }
      assert.equal(d.inSeqno, 8, `cut ${cut}`);
      assert.equal(d.routed, 1);
      assertSameBytes(joinChunks(got), routedData, `routed data, cut ${cut}`);
      assert.equal(payloads.length, 2);
      assertSameBytes(payloads[0]!, ignore);
      assertSameBytes(payloads[1]!, channelData(8, otherData));
      d.free();
    }
  });

  Deno.test("gcm decipher: a packet whose tag does not match is refused and nothing of it goes on", () => {
    const { key, iv } = keyAndIv();
    const seal = sealer(key, iv);
    const good = seal(new Uint8Array([2, 0, 0, 0, 0]));
    const bad = seal(channelData(7, randomBytes(5000)));
    bad[100]! ^= 1;
    const { proto, payloads } = fakeProtocol();
    let sunk = 0;
    routeChannelData(proto, 7, () => (sunk++, true));
    const d: GcmDecipher = new GcmDecipher(ssl, proto, 128, key, iv, 0, proto._onPayload);
    const wire = Buffer.from(joinChunks([good, bad]));
    assert.throws(() => d.decrypt(wire, 0, wire.length), {
      message: "An SSH packet failed its AES-GCM authentication",
    });
    assert.equal(payloads.length, 1);
    assert.equal(sunk, 0);
    assert.equal(d.inSeqno, 1);
  });

  Deno.test("gcm decipher: a packet longer than allowed is refused when its length arrives", () => {
    const { key, iv } = keyAndIv();
    const big = sealer(key, iv)(channelData(7, randomBytes(2000)));
    const { proto, payloads } = fakeProtocol();
    const d: GcmDecipher = new GcmDecipher(ssl, proto, 128, key, iv, 0, proto._onPayload, 1024);
    assert.throws(() => d.decrypt(Buffer.from(big.subarray(0, 4)), 0, 4), {
      message: "The SSH server sent a packet of 2016 bytes: more than the 1024 allowed",
    });
    assert.equal(payloads.length, 0);
  });

  Deno.test("gcm decipher: reading stops where ssh2's answer says (a key exchange's NEWKEYS)", () => {
    const { key, iv } = keyAndIv();
    const seal = sealer(key, iv);
    const first = seal(new Uint8Array([21]));
    const wire = Buffer.from(joinChunks([first, seal(new Uint8Array([2, 0, 0, 0, 0]))]));
    const { proto, payloads } = fakeProtocol(() => false);
    const d: GcmDecipher = new GcmDecipher(ssl, proto, 128, key, iv, 0, proto._onPayload);
    assert.equal(d.decrypt(wire, 0, wire.length), first.length);
    assert.equal(payloads.length, 1);
  });

  const call = <T>(fn: (cb: (err: Error | null | undefined, v?: T) => void) => void) =>
    new Promise<T>((resolve, reject) => fn((err, v) => err ? reject(err) : resolve(v as T)));

  /** A client with large packets installed; `announced` gets each session's maximum packet. */
  const connect = async (
    server: SshServer,
    cipher: CipherAlgorithm,
    opts?: { accept?: number },
  ): Promise<{ client: Client; sftp: SFTPWrapper; announced: number[]; errors: Error[] }> => {
    const client = new ssh2.Client();
    const ready = loginTo(client, server, { algorithms: { cipher: [cipher] } });
    const proto = (client as unknown as {
      _protocol: { session(c: number, w: number, m: number): unknown };
    })._protocol;
    const announced: number[] = [];
    const session = proto.session.bind(proto);
    proto.session = (c, w, m) => (announced.push(m), session(c, w, m));
    assert.ok(largePackets(client, opts));
    await ready;
    const errors: Error[] = [];
    client.on("error", (e: Error) => errors.push(e));
    const sftp = await call<SFTPWrapper>((cb) => client.sftp(cb));
    return { client, sftp, announced, errors };
  };

  /** Reads `size` bytes of `path` through the data path, 255 KiB per READ, all at once. */
  const download = async (sftp: SFTPWrapper, path: string, size: number) => {
    const handle = await call<Buffer>((cb) => sftp.open(path, "r", cb));
    const fast = dataPath(sftp)!;
    const reads: Promise<Uint8Array[]>[] = [];
    for (let at = 0; at < size; at += 261_120) {
      reads.push(
        new Promise((resolve, reject) =>
          fast.read(handle, at, Math.min(261_120, size - at), (err, parts) => {
            if (err) reject(err);
            else resolve(parts!);
          })
        ),
      );
    }
    const parts = (await Promise.all(reads)).flat();
    await call((cb) => sftp.close(handle, cb));
    return joinChunks(parts);
  };

  const decipherOf = (client: Client) =>
    (client as unknown as { _protocol: { _decipher: unknown } })._protocol._decipher;

  Deno.test("gcm decipher: a download over a channel of 256 KiB packets gets every byte, before and after a key exchange", async () => {
    const server = await startSshd();
    const { client, sftp, announced } = await connect(server, "aes128-gcm@openssh.com");
    try {
      assert.deepEqual(announced, [CHANNEL_MAX_PACKET]);
      const data = randomBytes(6 * 1024 * 1024 + 77);
      const path = join(server.dir, "big.bin");
      await Deno.writeFile(path, data);
      const first = decipherOf(client);
      assert.ok(first instanceof GcmDecipher);
      assertSameBytes(await download(sftp, path, data.length), data, "first download");
      assert.ok(first.routed > 100, `${first.routed} packets routed`);
      await forceKeyExchange(client);
      const second = decipherOf(client);
      assert.ok(second instanceof GcmDecipher && second !== first);
      assertSameBytes(await download(sftp, path, data.length), data, "after the key exchange");
      assert.ok(second.routed > 100, `${second.routed} packets routed`);
    } finally {
      client.end();
      await server.stop();
    }
  });

  Deno.test("gcm decipher: a server packet over the size accepted fails the connection with a clear error", async () => {
    const server = await startSshd();
    const { client, sftp, errors } = await connect(server, "aes128-gcm@openssh.com", {
      accept: 20_000,
    });
    try {
      const path = join(server.dir, "big.bin");
      await Deno.writeFile(path, randomBytes(1024 * 1024));
      await assert.rejects(download(sftp, path, 1024 * 1024));
      assert.match(
        errors[0]?.message ?? "",
        /^The SSH server sent a packet of \d+ bytes: more than the 20000 allowed$/,
      );
    } finally {
      client.end();
      await server.stop();
    }
  });

  Deno.test("gcm decipher: aes128-ctr keeps ssh2's decipher and 32 KiB channel packets", async () => {
    const server = await startSshd();
    const { client, sftp, announced } = await connect(server, "aes128-ctr");
    try {
      assert.deepEqual(announced, [32 * 1024]);
      assert.ok(!(decipherOf(client) instanceof GcmDecipher));
      const data = randomBytes(1024 * 1024 + 5);
      const path = join(server.dir, "ctr.bin");
      await Deno.writeFile(path, data);
      assertSameBytes(await download(sftp, path, data.length), data);
    } finally {
      client.end();
      await server.stop();
    }
  });
}

// The decipher deciphers in place and hands channel data on as views of the socket's chunks,
// which the copy engine may hold until the disk write ends: that is only right while Deno's
// node:net gives every read a buffer of its own, never refilled later. This pins that.
Deno.test("gcm decipher: node:net hands each read its own buffer, never refilled later", async () => {
  const { createServer, connect } = await import("node:net");
  const sent = randomBytes(8 * 1024 * 1024);
  const server = createServer((s) => s.end(sent));
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  try {
    const { port } = server.address() as { port: number };
    const chunks: Uint8Array[] = [];
    const copies: Uint8Array[] = [];
    await new Promise<void>((resolve, reject) => {
      const c = connect(port, "127.0.0.1");
      c.on("data", (d: Uint8Array) => {
        chunks.push(d);
        copies.push(d.slice());
      });
      c.on("end", resolve);
      c.on("error", reject);
    });
    assert.ok(chunks.length > 1);
    chunks.forEach((c, i) => assertSameBytes(c, copies[i]!));
    assertSameBytes(joinChunks(chunks), sent);
  } finally {
    await new Promise((resolve) => server.close(resolve));
  }
});
