import assert from "node:assert/strict";
import { Buffer } from "node:buffer";
import { join } from "node:path";
import { loginTo, startSshd } from "../../../tests/fixtures/sshd.ts";
import { assertSameBytes } from "../../../tests/fixtures/same_bytes.ts";
import { randomBytes } from "../../../tests/vfs/_util.ts";
import ssh2, { type SFTPWrapper, type Stats } from "./ssh2.ts";
import { soon, together } from "./together.ts";
import { writeWhole } from "./write_whole.ts";
import { connectionGuard } from "./guard.ts";

if (Deno.build.os !== "linux") {
  Deno.test({ name: "together (runs on Linux, against OpenSSH's sshd)", ignore: true, fn() {} });
} else {
  const call = <T>(fn: (cb: (err: Error | null | undefined, v?: T) => void) => void) =>
    new Promise<T>((resolve, reject) => fn((err, v) => err ? reject(err) : resolve(v as T)));

  type Proto = { channelData(id: number, data: Uint8Array): void };

  /**
   * Runs `fn` with an SFTP channel to a fresh sshd whose outgoing CHANNEL_DATA packets are
   * recorded (their sizes), and the folder it may write in.
   */
  const withChannel = async (
    fn: (sftp: SFTPWrapper, sent: number[], dir: string) => Promise<void>,
  ) => {
    const server = await startSshd();
    const client = new ssh2.Client();
    try {
      await loginTo(client, server);
      const sftp = await call<SFTPWrapper>((cb) => client.sftp(cb));
      const s = sftp as unknown as { _protocol: Proto; outgoing: { id: number } };
      const proto = s._protocol;
      const original = proto.channelData;
      const sent: number[] = [];
      proto.channelData = function (id, data) {
        if (id === s.outgoing.id) sent.push(data.length);
        return original.call(this, id, data);
      };
      await fn(sftp, sent, server.dir);
    } finally {
      client.end();
      await server.stop();
    }
  };

  Deno.test("together: a WRITE, FSTAT and CLOSE made at once leave in one SSH packet and each gets its answer", async () => {
    await withChannel(async (sftp, sent, dir) => {
      const path = join(dir, "one.bin");
      const data = Buffer.from(randomBytes(4096));
      const handle = await call<Buffer>((cb) => sftp.open(path, "w", cb));
      sent.length = 0;
      let wrote!: Promise<unknown>, stat!: Promise<Stats>, closed!: Promise<unknown>;
      together(sftp, () => {
        wrote = call((cb) => sftp.write(handle, data, 0, data.length, 0, cb));
        stat = call<Stats>((cb) => sftp.fstat(handle, cb));
        closed = call((cb) => sftp.close(handle, cb));
      });
      assert.equal(sent.length, 1, `packets: ${sent.join(", ")}`);
      await wrote;
      assert.equal((await stat).size, 4096);
      await closed;
      assertSameBytes(await Deno.readFile(path), data, "written");
      // The channel sends as ssh2 does again afterwards.
      const s = sftp as unknown as { _protocol: object };
      assert.ok(Object.hasOwn(s._protocol, "channelData"), "the test's recorder is back");
      await call((cb) => sftp.stat(path, cb));
      assert.equal(sent.length, 2);
    });
  });

  Deno.test("together: requests longer than one packet go in packets of the server's size, in order", async () => {
    await withChannel(async (sftp, sent, dir) => {
      const path = join(dir, "long.bin");
      const size = (sftp as unknown as { outgoing: { packetSize: number } }).outgoing.packetSize;
      const data = Buffer.from(randomBytes(size + 5000));
      const handle = await call<Buffer>((cb) => sftp.open(path, "w", cb));
      sent.length = 0;
      const answers: Promise<unknown>[] = [];
      together(sftp, () => {
        // Two WRITEs of which ssh2 sends the first in two packets, then the CLOSE.
        const a = size - 1000;
        answers.push(call((cb) => sftp.write(handle, data, 0, a, 0, cb)));
        answers.push(call((cb) => sftp.write(handle, data, a, data.length - a, a, cb)));
        answers.push(call((cb) => sftp.close(handle, cb)));
      });
      assert.ok(sent.length >= 2 && sent.every((n) => n <= size), `packets: ${sent.join(", ")}`);
      assert.ok(sent.slice(0, -1).every((n) => n === size), `full packets: ${sent.join(", ")}`);
      await Promise.all(answers);
      assertSameBytes(await Deno.readFile(path), data, "written");
    });
  });

  Deno.test("writeWhole: a small file's WRITE, FSTAT and CLOSE go in one SSH packet after its OPEN", async () => {
    await withChannel(async (sftp, sent, dir) => {
      const { guard } = connectionGuard();
      for (const size of [0, 1, 4096, 16 * 1024]) {
        const path = join(dir, `whole-${size}.bin`);
        const data = randomBytes(size);
        const handle = await call<Buffer>((cb) => sftp.open(path, "w", cb));
        sent.length = 0;
        assert.equal(await writeWhole(sftp, guard, handle, data, `/whole-${size}.bin`), size);
        assert.equal(sent.length, 1, `${size} bytes: packets ${sent.join(", ")}`);
        assertSameBytes(await Deno.readFile(path), data, `${size} bytes`);
      }
    });
  });

  Deno.test("writeWhole: small files written in one turn of the event loop share one SSH packet", async () => {
    await withChannel(async (sftp, sent, dir) => {
      const { guard } = connectionGuard();
      const files = [1, 2, 3, 4].map((i) => ({
        path: join(dir, `turn-${i}.bin`),
        data: randomBytes(4096 + i),
      }));
      const handles = await Promise.all(
        files.map((f) => call<Buffer>((cb) => sftp.open(f.path, "w", cb))),
      );
      sent.length = 0;
      const sizes = await Promise.all(
        files.map((f, i) => writeWhole(sftp, guard, handles[i]!, f.data, `/turn-${i}.bin`)),
      );
      assert.deepEqual(sizes, files.map((f) => f.data.length));
      assert.equal(sent.length, 1, `packets: ${sent.join(", ")}`);
      for (const f of files) assertSameBytes(await Deno.readFile(f.path), f.data, f.path);
    });
  });

  Deno.test("soon: requests made in one turn of the event loop leave in one SSH packet, in order, and one that throws fails alone", async () => {
    await withChannel(async (sftp, sent, dir) => {
      await Deno.writeTextFile(join(dir, "a.txt"), "aaa");
      sent.length = 0;
      const order: string[] = [];
      const stat = (name: string) =>
        new Promise<Stats>((resolve, reject) =>
          soon(sftp, () =>
            sftp.stat(join(dir, name), (err, st) => {
              order.push(name);
              err ? reject(err) : resolve(st);
            }), reject)
        );
      const a = stat("a.txt");
      const missing = stat("missing.txt");
      const thrown = new Promise((_resolve, reject) =>
        soon(sftp, () => {
          throw new Error("made to throw");
        }, reject)
      );
      const again = stat("a.txt");
      assert.equal(sent.length, 0, "nothing leaves before the turn ends");
      const [ra, rm, rt, rg] = await Promise.allSettled([a, missing, thrown, again]);
      assert.equal(ra.status === "fulfilled" && ra.value.size, 3);
      assert.equal(rm.status, "rejected");
      assert.match(rt.status === "rejected" ? String(rt.reason) : "", /made to throw/);
      assert.equal(rg.status === "fulfilled" && rg.value.size, 3);
      assert.deepEqual(order, ["a.txt", "missing.txt", "a.txt"]);
      assert.equal(sent.length, 1, `packets: ${sent.join(", ")}`);
    });
  });
}
