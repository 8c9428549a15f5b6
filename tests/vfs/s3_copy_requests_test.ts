/**
 * The requests a copy into S3 makes before its data goes (each a round trip to the server,
 * 20 to 100 ms to a distant bucket), seen in the client's own middleware against s3rver on
 * 127.0.0.1: what the engine must know first (the folder exists, what is at the target's name)
 * is asked at once, and the upload follows; the answers still decide as before (a folder at
 * the target's name, a file where the folder should be).
 */

import assert from "node:assert/strict";
import { CreateBucketCommand, S3Client } from "@aws-sdk/client-s3";
import { copyToVfs } from "../../src/vfs/copy.ts";
import { MemoryVfs } from "../../src/vfs/memory/memory.ts";
import { S3Vfs } from "../../src/vfs/s3/s3.ts";
import { startS3Server } from "../fixtures/s3server.ts";
import { put, randomBytes, text } from "./_util.ts";
import { assertSameBytes } from "../fixtures/same_bytes.ts";

if (Deno.build.os !== "linux") {
  Deno.test({ name: "s3 copy requests (runs on Linux, against s3rver)", ignore: true, fn() {} });
} else {
  const server = await startS3Server();
  let n = 0;
  const MiB = 1024 * 1024;
  const bytes = async (vfs: S3Vfs, path: string) =>
    new Uint8Array(await new Response(await vfs.openRead(path)).arrayBuffer());

  /** A VFS over a new bucket whose requests are recorded as they start and end. */
  const recorded = async (transfer?: { partSize: number; concurrency: number }) => {
    const client = new S3Client({
      endpoint: server.endpoint,
      region: server.region,
      forcePathStyle: true,
      credentials: { accessKeyId: server.accessKeyId, secretAccessKey: server.secretAccessKey },
    });
    const bucket = `aft-requests-${n++}`;
    await client.send(new CreateBucketCommand({ Bucket: bucket }));
    const events: string[] = [];
    client.middlewareStack.add(
      (next, context) => async (args) => {
        events.push(`start ${context.commandName}`);
        try {
          return await next(args);
        } finally {
          events.push(`end ${context.commandName}`);
        }
      },
      { step: "initialize" },
    );
    return { vfs: new S3Vfs(client, bucket, "", transfer), events };
  };

  Deno.test("s3 copy: a file into an existing folder asks one round trip of questions, then uploads", async () => {
    const { vfs, events } = await recorded();
    try {
      await vfs.mkdir("/in");
      const mem = new MemoryVfs();
      await put(mem, "/a.bin", "0123456789");
      events.length = 0;
      const r = await copyToVfs(mem, "/a.bin", vfs, "/in", { overwrite: "always" });
      assert.deepEqual([r.ok, r.files, r.errors], [true, 1, []]);
      const seen = events.splice(0);
      assert.equal(await text(vfs, "/in/a.bin"), "0123456789");
      const upload = seen.indexOf("start PutObjectCommand");
      const before = seen.slice(0, upload);
      // The folder's stat (a HEAD and a listing) and the listing of what it holds, all sent
      // before the first answer came: one round trip.
      assert.deepEqual(before.filter((e) => e.startsWith("start")).sort(), [
        "start HeadObjectCommand",
        "start ListObjectsV2Command",
        "start ListObjectsV2Command",
      ]);
      assert.ok(before.findIndex((e) => e.startsWith("end")) > 2, seen.join(", "));
      assert.deepEqual(seen.slice(upload), ["start PutObjectCommand", "end PutObjectCommand"]);
    } finally {
      await vfs.close();
    }
  });

  Deno.test("s3 copy: a folder at the target's name, or a file where the folder should be, still fails", async () => {
    const { vfs } = await recorded();
    try {
      const mem = new MemoryVfs();
      await put(mem, "/a.bin", "new");
      await vfs.mkdir("/in/a.bin", { recursive: true });
      const onDir = await copyToVfs(mem, "/a.bin", vfs, "/in", { overwrite: "always" });
      assert.deepEqual([onDir.ok, onDir.errors.map((e) => e.code)], [false, ["IS_DIR"]]);
      assert.equal((await vfs.stat("/in/a.bin")).isDir, true);
      await put(vfs, "/file", "a file");
      const underFile = await copyToVfs(mem, "/a.bin", vfs, "/file", { overwrite: "always" });
      assert.equal(underFile.ok, false);
      assert.equal(await text(vfs, "/file"), "a file");
      await assert.rejects(vfs.stat("/file/a.bin"));
      // A new folder: made, and the file goes in.
      const fresh = await copyToVfs(mem, "/a.bin", vfs, "/new/deep", { overwrite: "never" });
      assert.deepEqual([fresh.ok, fresh.files], [true, 1]);
      assert.equal(await text(vfs, "/new/deep/a.bin"), "new");
    } finally {
      await vfs.close();
    }
  });

  Deno.test("s3 copy: a multipart upload that replaces any file is created while the folder is checked, else after", async () => {
    const { vfs, events } = await recorded({ partSize: 5 * MiB, concurrency: 2 });
    try {
      await vfs.mkdir("/in");
      const mem = new MemoryVfs();
      const data = randomBytes(6 * MiB);
      await put(mem, "/big.bin", data);
      for (const overwrite of ["always", "never"] as const) {
        events.length = 0;
        const r = await copyToVfs(mem, "/big.bin", vfs, `/in/${overwrite}`, { overwrite });
        assert.deepEqual([r.ok, r.files, r.errors], [true, 1, []]);
        const seen = events.splice(0);
        const create = seen.indexOf("start CreateMultipartUploadCommand");
        const firstAnswer = seen.findIndex((e) => e.startsWith("end"));
        assert.ok(create >= 0, seen.join(", "));
        // Only a copy that replaces whatever file is there creates it before it knows.
        assert.equal(create < firstAnswer, overwrite === "always", seen.join(", "));
        assertSameBytes(await bytes(vfs, `/in/${overwrite}/big.bin`), data);
      }
    } finally {
      await vfs.close();
    }
  });

  Deno.test("s3 copy: an upload created early that the copy cannot use is aborted, nothing stored", async () => {
    const { vfs, events } = await recorded({ partSize: 5 * MiB, concurrency: 2 });
    try {
      const mem = new MemoryVfs();
      await put(mem, "/big.bin", randomBytes(6 * MiB));
      await vfs.mkdir("/in/big.bin", { recursive: true });
      await put(vfs, "/file", "a file");
      for (const [dir, code] of [["/in", "IS_DIR"], ["/file", "NOT_DIR"]]) {
        events.length = 0;
        const r = await copyToVfs(mem, "/big.bin", vfs, dir!, { overwrite: "always" });
        assert.deepEqual([r.ok, r.errors.map((e) => e.code)], [false, [code]], dir);
        const seen = events.splice(0);
        assert.ok(seen.includes("start CreateMultipartUploadCommand"), seen.join(", "));
        assert.ok(seen.includes("end AbortMultipartUploadCommand"), seen.join(", "));
        assert.ok(!seen.some((e) => /UploadPart|Complete/.test(e)), seen.join(", "));
      }
      assert.equal((await vfs.stat("/in/big.bin")).isDir, true);
      assert.equal(await text(vfs, "/file"), "a file");
    } finally {
      await vfs.close();
    }
  });

  Deno.test("s3 copy: stop the server", async () => {
    await server.stop();
  });
}
