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
import { put, text } from "./_util.ts";

if (Deno.build.os !== "linux") {
  Deno.test({ name: "s3 copy requests (runs on Linux, against s3rver)", ignore: true, fn() {} });
} else {
  const server = await startS3Server();
  let n = 0;

  /** A VFS over a new bucket whose requests are recorded as they start and end. */
  const recorded = async () => {
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
    return { vfs: new S3Vfs(client, bucket), events };
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

  Deno.test("s3 copy: stop the server", async () => {
    await server.stop();
  });
}
