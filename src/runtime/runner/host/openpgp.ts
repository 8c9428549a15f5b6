/**
 * `PGPEncryptFile(inPath, outPath, publicKeyArmored)` and
 * `PGPDecryptFile(inPath, outPath, privateKeyArmored, passphrase)` with npm `openpgp`,
 * streaming file to file: decryption by OpenPGP.js, encryption by OpenPGP.js for the session
 * key and `openpgp_stream.ts` for the data (see there why).
 *
 * The output is written under a temporary name and renamed into place only once the whole
 * stream has gone through: OpenPGP.js hands out plaintext before it has checked the message's
 * integrity (the check comes at the end), so a tampered file fails at its end and leaves
 * nothing behind.
 *
 * @module
 */

import { basename } from "node:path";
import * as openpgp from "openpgp";
import type { ResultData } from "../../protocol/calls.ts";
import type { HostContext } from "./context.ts";
import { BatchedWriter } from "./batched_writer.ts";
import { failed, localPath, tempBeside } from "./local.ts";
import { checkRegularFile } from "./local_file.ts";
import { encryptStream } from "./openpgp_stream.ts";
import { decryptStream, UnsupportedMessage } from "./openpgp_decrypt.ts";
import { KeyUnlockError } from "./openpgp_unlock.ts";

const ARMOR = "-----BEGIN PGP MESSAGE-----";

function message(err: unknown): string {
  return (err instanceof Error ? err.message : String(err)).replace(/^Error: /, "");
}

/** Streams `data` into `target` through a temporary file; removes it on any failure. */
async function writeThrough(
  ctx: HostContext,
  target: string,
  data: AsyncIterable<Uint8Array>,
): Promise<number> {
  const tmp = await tempBeside(target);
  const file = await Deno.open(tmp, { write: true, createNew: true });
  const out = new BatchedWriter(file);
  let bytes = 0;
  try {
    for await (const chunk of data) {
      if (ctx.signal.aborted) throw new Error("The job was halted");
      bytes += chunk.length;
      await out.write(chunk);
    }
    await out.flush();
    file.close();
    await Deno.rename(tmp, target);
    return bytes;
  } catch (err) {
    try {
      file.close();
    } catch { /* closed before */ }
    await Deno.remove(tmp).catch(() => {});
    throw err;
  }
}

/** `PGPEncryptFile`. */
export async function encryptCall(
  ctx: HostContext,
  [inPath, outPath, armoredKey]: unknown[],
): Promise<ResultData> {
  const src = await localPath(ctx, inPath);
  const dst = await localPath(ctx, outPath);
  let key: openpgp.Key;
  try {
    key = await openpgp.readKey({ armoredKey: String(armoredKey) });
  } catch (err) {
    return failed(new Error(`The public key is not a valid OpenPGP key: ${message(err)}`));
  }
  let input: Deno.FsFile;
  try {
    await checkRegularFile(src, String(inPath));
    input = await Deno.open(src);
  } catch (err) {
    return failed(new Error(`Cannot read "${inPath}": ${message(err)}`));
  }
  try {
    const mtime = (await input.stat()).mtime ?? new Date();
    const encrypted = encryptStream(key, basename(src), mtime, input.readable);
    const bytes = await writeThrough(ctx, dst, encrypted);
    return { ok: true, files: 1, bytesCopied: bytes };
  } catch (err) {
    return failed(new Error(`Cannot encrypt "${inPath}": ${message(err)}`));
  } finally {
    try {
      input.close();
    } catch { /* closed when its stream ended */ }
  }
}

/** `PGPDecryptFile`. */
export async function decryptCall(
  ctx: HostContext,
  [inPath, outPath, armoredKey, passphrase]: unknown[],
): Promise<ResultData> {
  const src = await localPath(ctx, inPath);
  const dst = await localPath(ctx, outPath);
  let key: openpgp.PrivateKey;
  try {
    key = await openpgp.readPrivateKey({ armoredKey: String(armoredKey) });
  } catch (err) {
    return failed(new Error(`The private key is not a valid OpenPGP private key: ${message(err)}`));
  }
  const pass = String(passphrase ?? "");
  let input: Deno.FsFile;
  let armored: boolean;
  try {
    await checkRegularFile(src, String(inPath));
    armored = await startsWithArmor(src);
    input = await Deno.open(src);
  } catch (err) {
    return failed(new Error(`Cannot read "${inPath}": ${message(err)}`));
  }
  if (!armored) {
    // The common messages on aft's own streaming path; the rest by OpenPGP.js below.
    try {
      const plain = decryptStream(key, pass, input);
      const bytes = await writeThrough(ctx, dst, plain);
      return { ok: true, files: 1, bytesCopied: bytes };
    } catch (err) {
      if (err instanceof KeyUnlockError) {
        return failed(new Error(`Cannot unlock the private key: ${message(err)}`));
      }
      if (!(err instanceof UnsupportedMessage)) {
        return failed(new Error(`Cannot decrypt "${inPath}": ${message(err)}`));
      }
    } finally {
      try {
        input.close();
      } catch { /* closed before */ }
    }
    try {
      // A fresh key: the streaming path may have unlocked some of its packets already.
      key = await openpgp.readPrivateKey({ armoredKey: String(armoredKey) });
      input = await Deno.open(src);
    } catch (err) {
      return failed(new Error(`Cannot read "${inPath}": ${message(err)}`));
    }
  }
  if (!key.isDecrypted()) {
    try {
      key = await openpgp.decryptKey({ privateKey: key, passphrase: pass });
    } catch (err) {
      input.close();
      return failed(new Error(`Cannot unlock the private key: ${message(err)}`));
    }
  }
  try {
    const msg = armored
      ? await openpgp.readMessage({
        armoredMessage: input.readable.pipeThrough(new TextDecoderStream()),
      })
      : await openpgp.readMessage({ binaryMessage: input.readable });
    const { data } = await openpgp.decrypt({
      message: msg,
      decryptionKeys: key,
      format: "binary",
      // Stream instead of holding the whole plaintext until the integrity check at the end:
      // it goes to a temporary file that is renamed into place only after that check passed.
      config: { allowUnauthenticatedStream: true },
    });
    const bytes = await writeThrough(ctx, dst, data as ReadableStream<Uint8Array>);
    return { ok: true, files: 1, bytesCopied: bytes };
  } catch (err) {
    return failed(new Error(`Cannot decrypt "${inPath}": ${message(err)}`));
  } finally {
    try {
      input.close();
    } catch { /* closed when its stream ended */ }
  }
}

async function startsWithArmor(path: string): Promise<boolean> {
  using f = await Deno.open(path);
  const buf = new Uint8Array(256);
  const n = await f.read(buf) ?? 0;
  return new TextDecoder().decode(buf.subarray(0, n)).trimStart().startsWith(ARMOR);
}
