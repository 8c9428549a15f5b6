/**
 * s3rver's command line under Deno: `deno run -A --config .ci/tools/deno.json s3rver.ts ARGS`
 * takes the arguments of `s3rver` (see tests/fixtures/s3server.ts).
 *
 * s3rver encrypts its ListObjectsV2 continuation tokens with single DES (`des`, that is
 * DES-CBC), which Deno's node:crypto does not offer (`Unknown cipher`; Node.js offers it only
 * from OpenSSL's legacy provider). Triple DES with the key given three times is the same
 * cipher (encrypt, decrypt, encrypt under one key is one encryption), and Deno has
 * `des-ede3-cbc`, so `des` is mapped to it before s3rver loads.
 *
 * @module
 */

import crypto from "node:crypto";
import { Buffer } from "node:buffer";

type Make = typeof crypto.createCipheriv;
function viaTripleDes(make: Make): Make {
  return ((alg: string, key: Buffer, iv: Buffer, ...rest: unknown[]) =>
    alg.toLowerCase() === "des"
      ? make("des-ede3-cbc", Buffer.concat([key, key, key]), iv)
      : (make as (...a: unknown[]) => ReturnType<Make>)(alg, key, iv, ...rest)) as Make;
}
crypto.createCipheriv = viaTripleDes(crypto.createCipheriv);
crypto.createDecipheriv = viaTripleDes(
  crypto.createDecipheriv as unknown as Make,
) as unknown as typeof crypto.createDecipheriv;

await import("s3rver/bin/s3rver.js");
