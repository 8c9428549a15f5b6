/**
 * The streamed S3 upload against a real S3-compatible server on 127.0.0.1 (s3rver): bytes
 * arrive intact whatever the chunking (part buffers are reused across parts), small objects
 * go up in one request, and a failed or aborted upload is aborted on the server and stores
 * nothing.
 */

import assert from "node:assert/strict";
import {
  CreateBucketCommand,
  GetObjectCommand,
  HeadObjectCommand,
  S3Client,
} from "@aws-sdk/client-s3";
import { startS3Server } from "../../../tests/fixtures/s3server.ts";
import { randomBytes } from "../../../tests/vfs/_util.ts";
import { join } from "node:path";
import { DiskVfs } from "../disk/disk.ts";
import { fillDirect } from "../direct.ts";
import { sinkStream } from "../object_store/mod.ts";
import { isVfsError } from "../types.ts";
import { mapS3Error } from "./_map_error.ts";
import { multipartSink } from "./multipart.ts";
import { assertSameBytes } from "../../../tests/fixtures/same_bytes.ts";

const MiB = 1024 * 1024;
/** The smallest part S3 takes (but for the last). */
const PART = 5 * MiB;

type Up = { UploadId?: string };

/** A client that records the commands it sends (name and UploadId), for the cases below. */
function recordingClient(
  endpoint: string,
  region: string,
  requestChecksumCalculation: "WHEN_REQUIRED" | "WHEN_SUPPORTED" = "WHEN_REQUIRED",
) {
  const client = new S3Client({
    endpoint,
    requestChecksumCalculation,
    region,
    forcePathStyle: true,
    maxAttempts: 1,
    credentials: { accessKeyId: "S3RVER", secretAccessKey: "S3RVER" },
  });
  const sent: { name: string; uploadId?: string; checksum?: string }[] = [];
  client.middlewareStack.add((next, ctx) => async (args) => {
    const input = args.input as Up & { ChecksumAlgorithm?: string };
    const entry = {
      name: ctx.commandName ?? "",
      uploadId: input.UploadId,
      checksum: input.ChecksumAlgorithm,
    };
    sent.push(entry);
    const out = await next(args);
    entry.uploadId ??= (out.output as Up).UploadId;
    return out;
  }, { step: "initialize" });
  return { client, sent };
}

async function body(client: S3Client, bucket: string, key: string): Promise<Uint8Array> {
  const r = await client.send(new GetObjectCommand({ Bucket: bucket, Key: key }));
  return await r.Body!.transformToByteArray();
}

type Recording = ReturnType<typeof recordingClient>;

/**
 * A byte stream of `data` that answers each read with at most `step` bytes, written into the
 * reader's memory; fails with `failAt`'s error once that many bytes are out.
 */
function byteSource(data: Uint8Array, step: number, failAt = Infinity): ReadableStream<Uint8Array> {
  let at = 0;
  return new ReadableStream({
    type: "bytes",
    pull(c) {
      const req = c.byobRequest!;
      if (at >= failAt) return c.error(new Error("disk unplugged"));
      if (at >= data.length) {
        c.close();
        return req.respond(0);
      }
      const view = new Uint8Array(req.view!.buffer, req.view!.byteOffset, req.view!.byteLength);
      const n = Math.min(step, view.length, data.length - at);
      view.set(data.subarray(at, at + n));
      at += n;
      req.respond(n);
    },
  });
}

/** Runs `fn` with a recording client and an empty bucket "bkt" on a new s3rver. */
async function withBucket(fn: (r: Recording) => Promise<void>): Promise<void> {
  const server = await startS3Server();
  const r = recordingClient(server.endpoint, server.region);
  try {
    await r.client.send(new CreateBucketCommand({ Bucket: "bkt" }));
    await fn(r);
  } finally {
    r.client.destroy();
    await server.stop();
  }
}

/** Asserts that key "k" was not stored and that its multipart upload was aborted, never completed. */
async function assertAborted({ client, sent }: Recording): Promise<void> {
  await assert.rejects(
    client.send(new HeadObjectCommand({ Bucket: "bkt", Key: "k" })),
    (e: { name?: string }) => e.name === "NotFound",
  );
  const created = sent.find((s) => s.name === "CreateMultipartUploadCommand");
  const aborted = sent.find((s) => s.name === "AbortMultipartUploadCommand");
  assert.ok(created?.uploadId, "an upload was started");
  assert.equal(aborted?.uploadId, created.uploadId, "and aborted");
  assert.ok(!sent.some((s) => s.name === "CompleteMultipartUploadCommand"));
}

/**
 * Object sizes and write (or read) sizes: around the part boundaries; 6 parts with 2 in flight
 * reuse the part buffers.
 */
const SIZES_AND_CHUNKS: [number, number][] = [
  [0, 1],
  [7, 3],
  [PART, MiB],
  [PART + 1, PART + 1],
  [2 * PART, 3 * MiB + 17],
  [6 * PART + 7, 65536 - 5],
];

if (Deno.build.os !== "linux") {
  Deno.test({ name: "s3 multipart (runs on Linux, against s3rver)", ignore: true, fn() {} });
} else {
  Deno.test("s3 multipart: objects of any size and chunking arrive byte for byte", async () => {
    await withBucket(async ({ client, sent }) => {
      for (const [size, chunk] of SIZES_AND_CHUNKS) {
        const data = randomBytes(size);
        const key = `o-${size}-${chunk}`;
        const sink = multipartSink({ client, bucket: "bkt", key, partSize: PART, concurrency: 2 });
        for (let at = 0; at < size; at += chunk) {
          // A copy per write, and the source's own buffer is overwritten at once: the sink
          // must have taken the bytes when the write resolves.
          const c = data.slice(at, at + chunk);
          await sink.write(c);
          c.fill(0xee);
        }
        await sink.close();
        assertSameBytes(await body(client, "bkt", key), data, key);
      }
      const names = sent.map((s) => s.name);
      // Up to one part: one PutObject each (3 objects); larger: parts and a completion.
      assert.equal(names.filter((n) => n === "PutObjectCommand").length, 3);
      assert.equal(names.filter((n) => n === "CompleteMultipartUploadCommand").length, 3);
      assert.equal(names.filter((n) => n === "UploadPartCommand").length, 2 + 2 + 7);
      assert.equal(names.filter((n) => n === "AbortMultipartUploadCommand").length, 0);
    });
  });

  Deno.test("s3 multipart: an aborted upload is aborted on the server and stores nothing", async () => {
    await withBucket(async (r) => {
      const sink = multipartSink({
        client: r.client,
        bucket: "bkt",
        key: "k",
        partSize: PART,
        concurrency: 2,
      });
      for (let i = 0; i < 3; i++) await sink.write(randomBytes(PART));
      await sink.abort(new Error("stop"));
      await assert.rejects(sink.write(new Uint8Array(1)), /stop/);
      await assertAborted(r);
    });
  });

  Deno.test("s3 multipart: an upload told a size above one part is created before its first part is full", async () => {
    await withBucket(async (r) => {
      const data = randomBytes(2 * PART + 3);
      const sink = () =>
        multipartSink({
          client: r.client,
          bucket: "bkt",
          key: "k",
          partSize: PART,
          concurrency: 2,
          size: data.length,
        });
      // Aborted with the first part not yet full: the upload was created all the same, and
      // is aborted, storing nothing.
      const early = sink();
      await early.write(data.subarray(0, PART - 1));
      await early.abort(new Error("stop"));
      await assertAborted(r);
      // Told a size, it still stores the bytes it gets, in parts.
      r.sent.length = 0;
      const whole = sink();
      await whole.write(data);
      await whole.close();
      assert.deepEqual(r.sent.map((s) => s.name).filter((n) => n !== "UploadPartCommand"), [
        "CreateMultipartUploadCommand",
        "CompleteMultipartUploadCommand",
      ]);
      assertSameBytes(await body(r.client, "bkt", "k"), data);
    });
  });

  Deno.test("s3 multipart: a part that fails fails the upload, which is aborted, not completed", async () => {
    await withBucket(async (r) => {
      // Every part after the first is refused on its way out, as a broken connection would be.
      let parts = 0;
      r.client.middlewareStack.add((next, ctx) => (args) => {
        if (ctx.commandName === "UploadPartCommand" && ++parts > 1) {
          return Promise.reject(new Error("connection reset"));
        }
        return next(args);
      }, { step: "build" });
      const sink = multipartSink({
        client: r.client,
        bucket: "bkt",
        key: "k",
        partSize: PART,
        concurrency: 1,
      });
      const writing = (async () => {
        for (let i = 0; i < 6; i++) await sink.write(randomBytes(PART));
        await sink.close();
      })();
      await assert.rejects(writing, /connection reset/);
      await assertAborted(r);
    });
  });

  Deno.test("s3 multipart: a client that sends checksums when it can declares the upload CRC32 and checksums every part", async () => {
    const server = await startS3Server();
    try {
      for (const when of ["WHEN_SUPPORTED", "WHEN_REQUIRED"] as const) {
        const { client, sent } = recordingClient(server.endpoint, server.region, when);
        const bucket = `bkt-${when.toLowerCase().replace("_", "-")}`;
        await client.send(new CreateBucketCommand({ Bucket: bucket }));
        const data = randomBytes(2 * PART + 3);
        const sink = multipartSink({ client, bucket, key: "k", partSize: PART, concurrency: 2 });
        await sink.write(data);
        await sink.close();
        assertSameBytes(await body(client, bucket, "k"), data);
        const crc = when === "WHEN_SUPPORTED" ? "CRC32" : undefined;
        const uploads = sent.filter((s) =>
          /^(CreateMultipartUpload|UploadPart)Command$/.test(s.name)
        );
        assert.equal(uploads.length, 4);
        for (const s of uploads) assert.equal(s.checksum, crc, `${when}: ${s.name}`);
        client.destroy();
      }
    } finally {
      await server.stop();
    }
  });

  Deno.test("s3 multipart: a direct fill from a byte stream arrives byte for byte at any size and read size", async () => {
    await withBucket(async ({ client, sent }) => {
      for (const [size, step] of SIZES_AND_CHUNKS) {
        const data = randomBytes(size);
        const key = `o-${size}-${step}`;
        const sink = multipartSink({ client, bucket: "bkt", key, partSize: PART, concurrency: 2 });
        const ws = sinkStream(sink, mapS3Error, { size });
        let counted = 0;
        await fillDirect(byteSource(data, step), ws, undefined, (n) => counted += n);
        assert.equal(counted, size);
        assertSameBytes(await body(client, "bkt", key), data, key);
      }
      const names = sent.map((s) => s.name);
      // As with writes: up to one part, one PutObject; never an empty last part.
      assert.equal(names.filter((n) => n === "PutObjectCommand").length, 3);
      assert.equal(names.filter((n) => n === "CompleteMultipartUploadCommand").length, 3);
      assert.equal(names.filter((n) => n === "UploadPartCommand").length, 2 + 2 + 7);
    });
  });

  Deno.test("s3 multipart: a disk file goes up by a direct fill, byte for byte", async () => {
    const dir = await Deno.makeTempDir({ prefix: "aft-fill-" });
    try {
      const data = randomBytes(3 * PART + 12_345);
      await Deno.writeFile(join(dir, "f.bin"), data);
      await withBucket(async ({ client }) => {
        const src = await (await DiskVfs.open(dir)).openRead("/f.bin");
        const sink = multipartSink({
          client,
          bucket: "bkt",
          key: "k",
          partSize: PART,
          concurrency: 2,
        });
        const filled = fillDirect(
          src,
          sinkStream(sink, mapS3Error, { size: data.length }),
          undefined,
          () => {},
        );
        assert.ok(filled, "the disk stream and the S3 sink take the direct way");
        await filled;
        assertSameBytes(await body(client, "bkt", "k"), data);
      });
    } finally {
      await Deno.remove(dir, { recursive: true });
    }
  });

  Deno.test("s3 multipart: a direct fill whose source fails, or brings another size, or is cancelled, stores nothing", async () => {
    const data = randomBytes(3 * PART);
    const fill = (
      r: Recording,
      src: ReadableStream<Uint8Array>,
      size: number,
      signal?: AbortSignal,
    ) => {
      const sink = multipartSink({
        client: r.client,
        bucket: "bkt",
        key: "k",
        partSize: PART,
        concurrency: 2,
      });
      return fillDirect(src, sinkStream(sink, mapS3Error, { size }), signal, () => {})!;
    };
    await withBucket(async (r) => {
      await assert.rejects(
        fill(r, byteSource(data, MiB, 2 * PART + MiB), data.length),
        /disk unplugged/,
      );
      await assertAborted(r);
    });
    await withBucket(async (r) => {
      await assert.rejects(
        fill(r, byteSource(data, MiB), data.length + 1),
        (e) => isVfsError(e, "VERIFY_FAILED"),
      );
      await assertAborted(r);
    });
    await withBucket(async (r) => {
      const ctl = new AbortController();
      let sent = 0;
      const src = byteSource(data, MiB).pipeThrough(new TransformStream());
      // Not a byte stream: no direct fill is offered, and nothing is touched.
      assert.equal(fill(r, src, data.length), undefined);
      const slow = new ReadableStream({
        type: "bytes",
        async pull(c) {
          const req = c.byobRequest!;
          if (++sent === 13) ctl.abort(new Error("user stop"));
          await new Promise((ok) => setTimeout(ok, 1));
          new Uint8Array(req.view!.buffer, req.view!.byteOffset, 1).set([sent & 0xff]);
          req.respond(1);
        },
      });
      const small = multipartSink({
        client: r.client,
        bucket: "bkt",
        key: "k",
        partSize: PART,
        concurrency: 2,
      });
      await small.write(randomBytes(2 * PART)); // an upload under way
      await assert.rejects(
        fillDirect(slow, sinkStream(small, mapS3Error, { size: 3 * PART }), ctl.signal, () => {})!,
        /user stop/,
      );
      await assertAborted(r);
    });
  });
}
