/**
 * Child process of the S3 kill test (tests/vfs/s3_test.ts): copies `/big.bin` of a local
 * folder into an S3 bucket with the copy engine, and prints `underway` once some of it has
 * gone up, so that the test can kill it there.
 *
 *   deno run -A tests/vfs/_s3_upload_child.ts ENDPOINT BUCKET FOLDER
 *
 * @module
 */

import { copyToVfs } from "../../src/vfs/copy.ts";
import { DiskVfs } from "../../src/vfs/disk/disk.ts";
import { S3Vfs } from "../../src/vfs/s3/s3.ts";
import { parseS3Target } from "../../src/vfs/s3/s3.ts";

const [endpoint, bucket, folder] = Deno.args;
const o = parseS3Target({
  name: "t",
  type: "s3",
  target: `s3://${bucket}/?endpoint=${encodeURIComponent(endpoint!)}`,
  options: { accessKeyId: "S3RVER", secretAccessKey: "S3RVER", partSizeMiB: "5" },
});
const s3 = S3Vfs.create(o);
let said = false;
const r = await copyToVfs(await DiskVfs.open(folder!), "/big.bin", s3, "/", {
  onProgress: (p) => {
    if (!said && p.bytes >= 16 * 1024 * 1024) {
      said = true;
      console.log("underway");
    }
  },
});
console.log(r.ok ? "done" : JSON.stringify(r.errors));
