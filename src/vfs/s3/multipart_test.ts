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
import { multipartSink } from "./multipart.ts";

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

if (Deno.build.os !== "linux") {
  Deno.test({ name: "s3 multipart (runs on Linux, against s3rver)", ignore: true, fn() {} });
} else {
  Deno.test("s3 multipart: objects of any size and chunking arrive byte for byte", async () => {
    await withBucket(async ({ client, sent }) => {
      // Sizes around the part boundaries; 6 parts with 2 in flight reuse the part buffers.
      const cases: [number, number][] = [
        [0, 1],
        [7, 3],
        [PART, MiB],
        [PART + 1, PART + 1],
        [2 * PART, 3 * MiB + 17],
        [6 * PART + 7, 65536 - 5],
      ];
      for (const [size, chunk] of cases) {
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
        assert.deepEqual(await body(client, "bkt", key), data, key);
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
        assert.deepEqual(await body(client, bucket, "k"), data);
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
}
