import assert from "node:assert/strict";
import { within } from "../../../tests/fixtures/within.ts";
import {
  type ByteChannel,
  type DirEntry,
  isDirectory,
  isSymlink,
  OPEN,
  SftpClient,
  SftpProtocolError,
  SftpStatusError,
  STATUS,
} from "./client.ts";
import { SshReader, SshWriter } from "./ssh/wire.ts";
import { joinBytes } from "../../bytes.ts";
import { mapError } from "./_map_error.ts";

const SERVER = "/usr/lib/openssh/sftp-server";
const isRoot = Deno.uid() === 0;

/**
 * A ByteChannel over sftp-server's stdin and stdout. `slices` cuts what the server sends into
 * chunks of those sizes (in turn) before the client sees them, so answers span chunks.
 */
class PipeChannel implements ByteChannel {
  onData?: (chunk: Uint8Array) => void;
  onClose?: (err?: Error) => void;
  /** How many times the client called write. */
  writes = 0;
  /** The buffers of every chunk handed to the client: pieces that are views point into these. */
  readonly fed = new Set<ArrayBufferLike>();
  readonly pumped: Promise<void>;
  #writer: WritableStreamDefaultWriter<Uint8Array>;
  #closed = false;

  constructor(child: Deno.ChildProcess, slices?: number[]) {
    this.#writer = child.stdin.getWriter();
    this.pumped = this.#pump(child.stdout.getReader(), slices);
  }

  write(parts: readonly Uint8Array[], onSent?: () => void): void {
    this.writes++;
    // Copied out here, so onSent could run now; it waits for the pipe to take the bytes, as an
    // SSH channel waiting for window would, so a test cannot pass by onSent being synchronous.
    const bytes = joinBytes(parts);
    this.#writer.write(bytes).then(() => onSent?.(), () => {});
  }

  close(): void {
    if (this.#closed) return;
    this.#closed = true;
    this.#writer.close().catch(() => {});
  }

  async #pump(reader: ReadableStreamDefaultReader<Uint8Array>, slices?: number[]): Promise<void> {
    let err: Error | undefined;
    let k = 0;
    try {
      for (;;) {
        const { value, done } = await reader.read();
        if (done) break;
        this.fed.add(value.buffer);
        if (!slices) {
          this.onData?.(value);
          continue;
        }
        for (let at = 0; at < value.length;) {
          const n = slices[k++ % slices.length]!;
          this.onData?.(value.subarray(at, at + n));
          at += n;
        }
      }
    } catch (e) {
      err = e as Error;
    } finally {
      reader.releaseLock();
    }
    this.onClose?.(err);
  }
}

interface Server {
  child: Deno.ChildProcess;
  ch: PipeChannel;
  stderr: Promise<string>;
}

function spawnServer(opts: { slices?: number[]; uid?: number; cwd?: string } = {}): Server {
  const child = new Deno.Command(SERVER, {
    stdin: "piped",
    stdout: "piped",
    stderr: "piped",
    cwd: opts.cwd,
    ...(opts.uid !== undefined ? { uid: opts.uid, gid: opts.uid } : {}),
  }).spawn();
  return {
    child,
    ch: new PipeChannel(child, opts.slices),
    stderr: new Response(child.stderr).text(),
  };
}

async function stopServer(s: Server): Promise<void> {
  s.ch.close(); // sftp-server exits at the end of its input
  const kill = setTimeout(() => {
    try {
      s.child.kill("SIGKILL");
    } catch { /* already gone */ }
  }, 3000);
  await s.child.status;
  clearTimeout(kill);
  await s.ch.pumped;
  await s.stderr;
}

interface Ctx {
  sftp: SftpClient;
  dir: string;
  server: Server;
}

/** Runs `fn` with a client on a fresh sftp-server and a temp folder, then cleans up both. */
async function withServer(
  fn: (c: Ctx) => Promise<void>,
  opts: { slices?: number[]; uid?: number } = {},
): Promise<void> {
  const dir = await Deno.realPath(await Deno.makeTempDir({ prefix: "aft_sftp_client_" }));
  const server = spawnServer({ ...opts, cwd: dir });
  try {
    const sftp = await SftpClient.start(server.ch);
    await fn({ sftp, dir, server });
  } finally {
    await stopServer(server);
    await Deno.remove(dir, { recursive: true });
  }
}

/** Deterministic bytes that do not repeat with any short period. */
function pattern(n: number, seed = 1): Uint8Array {
  const out = new Uint8Array(n);
  let x = seed * 2654435761 >>> 0 || 1;
  for (let i = 0; i < n; i++) {
    x ^= x << 13;
    x ^= x >>> 17;
    x ^= x << 5;
    out[i] = x & 255;
  }
  return out;
}

function sameBytes(a: Uint8Array, b: Uint8Array): void {
  assert.equal(a.length, b.length, "lengths differ");
  for (let i = 0; i < a.length; i++) {
    if (a[i] !== b[i]) assert.fail(`bytes differ at ${i}: ${a[i]} != ${b[i]}`);
  }
}

/** Reads a whole file with `lengths` (in turn) as READ sizes; checks no answer is empty. */
async function readAll(
  sftp: SftpClient,
  handle: Uint8Array,
  lengths: number[],
  onPieces?: (p: Uint8Array[]) => void,
): Promise<Uint8Array> {
  const got: Uint8Array[] = [];
  let offset = 0;
  for (let k = 0;; k++) {
    const pieces = await sftp.read(handle, offset, lengths[k % lengths.length]!);
    if (pieces === null) break;
    assert.ok(pieces.length > 0, "read gave an empty array");
    onPieces?.(pieces);
    for (const p of pieces) {
      got.push(p);
      offset += p.length;
    }
  }
  return joinBytes(got);
}

Deno.test("start: version 3, OpenSSH's extensions and limits", async () => {
  await withServer(async ({ sftp }) => {
    assert.equal(sftp.version, 3);
    assert.ok(sftp.extensions.has("posix-rename@openssh.com"));
    assert.ok(sftp.extensions.has("limits@openssh.com"));
    assert.ok(sftp.limits, "limits were not read");
    assert.ok(sftp.limits.maxRead > 0);
    assert.ok(sftp.limits.maxWrite > 0);
    assert.ok(sftp.limits.maxPacket > 0);
    assert.ok(isDirectory(await sftp.stat("/")));
  });
});

Deno.test("stat, lstat, fstat", async () => {
  await withServer(async ({ sftp, dir }) => {
    const f = `${dir}/f.bin`;
    await Deno.writeFile(f, pattern(1234));
    await Deno.chmod(f, 0o640);
    await Deno.utime(f, 1_600_000_000, 1_500_000_000);
    await Deno.symlink(f, `${dir}/link`);
    const st = await sftp.stat(f);
    assert.equal(st.size, 1234);
    assert.equal(st.mode! & 0o7777, 0o640);
    assert.equal(st.mtime, 1_500_000_000);
    assert.equal(st.atime, 1_600_000_000);
    assert.equal(st.uid, Deno.uid());
    assert.equal(isDirectory(st), false);
    assert.equal(isSymlink(st), false);

    assert.equal(isSymlink(await sftp.lstat(`${dir}/link`)), true);
    const through = await sftp.stat(`${dir}/link`);
    assert.equal(isSymlink(through), false);
    assert.equal(through.size, 1234);
    assert.equal(isDirectory(await sftp.stat(dir)), true);

    const h = await sftp.open(f, OPEN.READ);
    const fst = await sftp.fstat(h);
    assert.equal(fst.size, 1234);
    assert.equal(fst.mtime, 1_500_000_000);
    await sftp.close(h);
  });
});

Deno.test("write and read a few MiB: odd sizes, odd offsets, many in flight", async () => {
  await withServer(async ({ sftp, dir }) => {
    const data = pattern(3 * 1024 * 1024 + 12345, 7);
    const f = `${dir}/big.bin`;
    const h = await sftp.open(f, OPEN.WRITE | OPEN.CREAT | OPEN.TRUNC, { mode: 0o600 });
    // Segments of odd sizes, written out of order and all at once.
    const sizes = [1, 7, 4093, 65537, 100_001, 3, 33_333];
    const segs: [number, number][] = [];
    for (let at = 0, k = 0; at < data.length; k++) {
      const n = Math.min(sizes[k % sizes.length]!, data.length - at);
      segs.push([at, n]);
      at += n;
    }
    segs.reverse();
    let sent = 0;
    await Promise.all(
      segs.map(([at, n]) => sftp.write(h, at, data.subarray(at, at + n), () => sent++)),
    );
    assert.equal(sent, segs.length, "every write's onSent fired");
    await sftp.fsync(h);
    await sftp.close(h);
    sameBytes(await Deno.readFile(f), data);

    const r = await sftp.open(f, OPEN.READ);
    sameBytes(await readAll(sftp, r, [256 * 1024, 1, 4097, 65_536, 99_999]), data);
    // Past the end, and far past it: EOF.
    assert.equal(await sftp.read(r, data.length, 10), null);
    assert.equal(await sftp.read(r, data.length + 1_000_000, 10), null);
    // Straddling the end: what is there.
    const tail = await sftp.read(r, data.length - 5, 100);
    sameBytes(joinBytes(tail!), data.subarray(data.length - 5));
    await sftp.close(r);
  });
});

for (
  const [name, slices, file] of [
    ["1 byte", [1], 150_000],
    ["7 bytes", [7], 600_000],
    ["100 KiB", [100 * 1024], 1_500_000],
    ["mixed 1, 7, 100 KiB, 13", [1, 7, 100 * 1024, 13], 1_500_000],
  ] as const
) {
  Deno.test(`answers split into chunks of ${name}: DATA as views`, async () => {
    await withServer(async ({ sftp, dir, server }) => {
      const data = pattern(file, 3);
      const f = `${dir}/s.bin`;
      await Deno.writeFile(f, data);
      assert.equal((await sftp.stat(f)).size, file);
      assert.equal(await sftp.realpath(`${dir}/./s.bin`), f);
      const h = await sftp.open(f, OPEN.READ);
      let multi = 0;
      const got = await readAll(sftp, h, [256 * 1024, 1000, 65_536], (pieces) => {
        if (pieces.length > 1) multi++;
        for (const p of pieces) {
          // A copy would live in a buffer of its own; views live in the chunks fed.
          assert.ok(server.ch.fed.has(p.buffer), "a piece is not a view of a received chunk");
          if (slices.length === 1 && slices[0] === 1) assert.equal(p.length, 1);
        }
      });
      sameBytes(got, data);
      assert.ok(multi > 0, "no answer spanned chunks");
      // Many READs at once: their answers share chunks, so DATA also ends inside a chunk.
      const at = Array.from({ length: 16 }, (_, i) => i * 9_000 + 17);
      const answers = await Promise.all(at.map((o) => sftp.read(h, o, 5_000)));
      answers.forEach((pieces, i) => {
        for (const p of pieces!) assert.ok(server.ch.fed.has(p.buffer), "a piece is a copy");
        sameBytes(joinBytes(pieces!), data.subarray(at[i]!, at[i]! + 5_000));
      });
      await sftp.close(h);
    }, { slices: [...slices] });
  });
}

Deno.test("requests made in one turn leave in one channel write", async () => {
  await withServer(async ({ sftp, dir, server }) => {
    const f = `${dir}/w.bin`;
    const h = await sftp.open(f, OPEN.WRITE | OPEN.CREAT);
    const before = server.ch.writes;
    const data = pattern(10_000);
    const all = [
      ...Array.from({ length: 40 }, () => sftp.stat(dir)),
      ...Array.from({ length: 10 }, (_, i) => sftp.write(h, i * 1000, data.subarray(i * 1000))),
    ];
    // Settled whatever the assertions say, so a failure here leaves no rejection unhandled.
    const settled = Promise.allSettled(all);
    assert.equal(server.ch.writes, before, "nothing leaves before the turn ends");
    for (const r of await settled) assert.equal(r.status, "fulfilled");
    assert.equal(server.ch.writes, before + 1);
    // Separate turns: separate writes.
    await sftp.stat(dir);
    await sftp.stat(dir);
    assert.equal(server.ch.writes, before + 3);
    await sftp.close(h);
    sameBytes(await Deno.readFile(f), data);
  });
});

Deno.test("list a folder of 1,500 files over several READDIR rounds", async () => {
  await withServer(async ({ sftp, dir }) => {
    const d = `${dir}/many`;
    await Deno.mkdir(d);
    const names = new Set<string>();
    for (let i = 0; i < 1500; i++) names.add(`file-${i}.txt`);
    await Promise.all([...names].map((n) => Deno.writeTextFile(`${d}/${n}`, n)));

    const entries = await sftp.list(d);
    const got = entries.map((e) => e.filename).filter((n) => n !== "." && n !== "..");
    assert.equal(got.length, 1500);
    assert.deepEqual(new Set(got), names);
    const one = entries.find((e) => e.filename === "file-7.txt")!;
    assert.equal(one.attrs.size, "file-7.txt".length);
    assert.ok(one.longname.includes("file-7.txt"));

    const h = await sftp.opendir(d);
    let rounds = 0;
    let seen: DirEntry[] = [];
    for (let got = await sftp.readdir(h); got; got = await sftp.readdir(h)) {
      rounds++;
      seen = seen.concat(got);
    }
    await sftp.close(h);
    assert.ok(rounds > 1, `one READDIR round only`);
    assert.equal(seen.length, entries.length);
  });
});

Deno.test("mkdir, rmdir, remove, rename, posixRename, realpath", async () => {
  await withServer(async ({ sftp, dir }) => {
    await sftp.mkdir(`${dir}/d`, { mode: 0o750 });
    const st = await Deno.stat(`${dir}/d`);
    assert.ok(st.isDirectory);
    assert.equal(st.mode! & 0o777, 0o750 & ~Deno.umask());
    assert.equal(await sftp.realpath(`${dir}/d/../d/.`), `${dir}/d`);
    await sftp.rmdir(`${dir}/d`);
    await assert.rejects(Deno.stat(`${dir}/d`), Deno.errors.NotFound);

    await Deno.writeTextFile(`${dir}/a`, "A");
    await Deno.writeTextFile(`${dir}/b`, "B");
    await sftp.rename(`${dir}/a`, `${dir}/c`);
    assert.equal(await Deno.readTextFile(`${dir}/c`), "A");
    // Plain RENAME does not replace (version 3 semantics, as OpenSSH does them).
    await assert.rejects(sftp.rename(`${dir}/c`, `${dir}/b`), (e: SftpStatusError) => {
      assert.ok(e instanceof SftpStatusError);
      assert.equal(e.code, STATUS.FAILURE);
      return true;
    });
    await sftp.posixRename(`${dir}/c`, `${dir}/b`);
    assert.equal(await Deno.readTextFile(`${dir}/b`), "A");
    await assert.rejects(Deno.stat(`${dir}/c`), Deno.errors.NotFound);

    await sftp.remove(`${dir}/b`);
    await assert.rejects(Deno.stat(`${dir}/b`), Deno.errors.NotFound);
  });
});

Deno.test("symlink creates linkPath pointing at targetPath; readlink reads it", async () => {
  await withServer(async ({ sftp, dir }) => {
    await Deno.writeTextFile(`${dir}/target`, "T");
    await sftp.symlink(`${dir}/link`, `${dir}/target`);
    assert.equal(await Deno.readLink(`${dir}/link`), `${dir}/target`);
    assert.equal(await Deno.readTextFile(`${dir}/target`), "T", "the target is untouched");
    assert.equal(await sftp.readlink(`${dir}/link`), `${dir}/target`);
    // A relative target is stored (and read back) as given.
    await sftp.symlink(`${dir}/rel`, "target");
    assert.equal(await Deno.readLink(`${dir}/rel`), "target");
    assert.equal(await sftp.readlink(`${dir}/rel`), "target");
    assert.ok(isSymlink(await sftp.lstat(`${dir}/rel`)));
  });
});

Deno.test("setstat and fsetstat: mode, times, size", async () => {
  await withServer(async ({ sftp, dir }) => {
    const f = `${dir}/f`;
    await Deno.writeFile(f, pattern(1000));
    await sftp.setstat(f, { mode: 0o604 });
    await sftp.setstat(f, { size: 10 }); // before the times: truncating sets the mtime
    await sftp.setstat(f, { atime: 1_234_567_890, mtime: 1_111_111_111 });
    const st = await Deno.stat(f);
    assert.equal(st.mode! & 0o7777, 0o604);
    assert.equal(st.mtime!.getTime(), 1_111_111_111_000);
    assert.equal(st.atime!.getTime(), 1_234_567_890_000);
    assert.equal(st.size, 10);
    sameBytes(await Deno.readFile(f), pattern(1000).subarray(0, 10));

    const h = await sftp.open(f, OPEN.WRITE);
    await sftp.fsetstat(h, { size: 3, mode: 0o600, atime: 5, mtime: 6.7 });
    await sftp.close(h);
    const st2 = await sftp.stat(f);
    assert.equal(st2.size, 3);
    assert.equal(st2.mode! & 0o7777, 0o600);
    assert.equal(st2.mtime, 6);
    assert.equal(st2.atime, 5);

    // Half a pair cannot be sent: the call fails, the client goes on.
    await assert.rejects(sftp.setstat(f, { mtime: 1 }), TypeError);
    await assert.rejects(sftp.setstat(f, { uid: 1 }), TypeError);
    assert.equal((await sftp.stat(f)).size, 3);
  });
});

Deno.test("errors: NO_SUCH_FILE, with the status code and the server's text", async () => {
  await withServer(async ({ sftp, dir }) => {
    const check = (e: unknown) => {
      assert.ok(e instanceof SftpStatusError);
      assert.equal(e.code, STATUS.NO_SUCH_FILE);
      assert.ok(e.message.length > 0);
      assert.equal(mapError(e, "/x").code, "NOT_FOUND");
      return true;
    };
    await assert.rejects(sftp.stat(`${dir}/missing`), check);
    await assert.rejects(sftp.open(`${dir}/missing`, OPEN.READ), check);
    await assert.rejects(sftp.list(`${dir}/missing`), check);
    await assert.rejects(sftp.remove(`${dir}/missing`), check);
    await assert.rejects(sftp.readlink(`${dir}/missing`), check);
    // The client goes on after a status error.
    assert.ok(isDirectory(await sftp.stat(dir)));
  });
});

Deno.test("errors: PERMISSION_DENIED", async () => {
  // As root the server would be allowed everything: run it as nobody then, in a folder it
  // cannot enter (mode 0700, owned by root). Otherwise take the permission away.
  const dir = await Deno.realPath(await Deno.makeTempDir({ prefix: "aft_sftp_client_" }));
  await Deno.writeTextFile(`${dir}/secret`, "s");
  const closed = `${dir}/closed`;
  await Deno.mkdir(closed);
  await Deno.writeTextFile(`${closed}/f`, "f");
  await Deno.chmod(closed, isRoot ? 0o700 : 0);
  if (isRoot) await Deno.chmod(dir, 0o755);
  const server = spawnServer({ cwd: "/", uid: isRoot ? 65534 : undefined });
  try {
    const sftp = await SftpClient.start(server.ch);
    const check = (e: unknown) => {
      assert.ok(e instanceof SftpStatusError);
      assert.equal(e.code, STATUS.PERMISSION_DENIED);
      assert.equal(mapError(e).code, "PERMISSION_DENIED");
      return true;
    };
    await assert.rejects(sftp.stat(`${closed}/f`), check);
    await assert.rejects(sftp.list(closed), check);
  } finally {
    await stopServer(server);
    await Deno.chmod(closed, 0o700);
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("fail() fails the requests in flight and every later call", async () => {
  await withServer(async ({ sftp, dir }) => {
    const err = new Error("given up");
    const inFlight = assert.rejects(sftp.stat(dir), (e) => e === err);
    const writing = assert.rejects(sftp.write(new Uint8Array(4), 0, new Uint8Array(1)));
    sftp.fail(err);
    sftp.fail(new Error("second")); // idempotent: the first error stays
    await inFlight;
    await writing;
    await assert.rejects(sftp.stat(dir), (e) => e === err);
    await assert.rejects(sftp.list(dir), (e) => e === err);
    assert.equal(await sftp.ended, err);
  });
});

Deno.test("the channel closing mid-request rejects what is pending", async () => {
  await withServer(async ({ sftp, dir, server }) => {
    const pending = assert.rejects(sftp.stat(dir), /The SFTP channel closed/);
    server.child.kill("SIGKILL");
    await pending;
    assert.match((await sftp.ended).message, /The SFTP channel closed/);
    await assert.rejects(sftp.stat(dir), /The SFTP channel closed/);
  });
});

// --- Answers a real server does not send: a scripted channel. ---

/** A ByteChannel that records what the client writes and feeds it crafted answers. */
class Script implements ByteChannel {
  onData?: (chunk: Uint8Array) => void;
  onClose?: (err?: Error) => void;
  writes: { parts: readonly Uint8Array[]; onSent?: () => void }[] = [];
  closed = false;

  write(parts: readonly Uint8Array[], onSent?: () => void): void {
    this.writes.push({ parts, onSent });
  }

  close(): void {
    this.closed = true;
  }

  /** The requests written so far: type, id and the reader after the id. */
  requests(): { type: number; id: number; r: SshReader }[] {
    const all = joinBytes(this.writes.flatMap((w) => w.parts));
    const out = [];
    for (let at = 0; at < all.length;) {
      const len = new DataView(all.buffer).getUint32(at);
      const r = new SshReader(all.subarray(at + 4, at + 4 + len));
      const type = r.byte();
      out.push({ type, id: type === 1 ? -1 : r.u32(), r });
      at += 4 + len;
    }
    return out;
  }

  lastId(): number {
    return this.requests().at(-1)!.id;
  }

  feed(...chunks: Uint8Array[]): void {
    for (const c of chunks) this.onData?.(c);
  }
}

/** A packet: uint32 length, the type, then what `body` writes. */
function pkt(type: number, body: (w: SshWriter) => unknown = () => {}): Uint8Array {
  const w = new SshWriter();
  w.byte(type);
  body(w);
  const b = w.finish();
  return joinBytes([new SshWriter(4).u32(b.length).finish(), b]);
}

const version = (exts: [string, string][] = []) =>
  pkt(2, (w) => {
    w.u32(3);
    for (const [n, d] of exts) w.string(n).string(d);
  });
const status = (id: number, code: number, msg = "") =>
  pkt(101, (w) => w.u32(id).u32(code).string(msg).string(""));

const tick = () => new Promise<void>((r) => setTimeout(r, 0));

async function scripted(
  exts: [string, string][] = [],
  opts: Parameters<typeof SftpClient.start>[1] = {},
): Promise<{ s: Script; sftp: SftpClient }> {
  const s = new Script();
  const started = SftpClient.start(s, opts);
  await tick();
  const init = s.requests()[0]!;
  assert.equal(init.type, 1);
  assert.equal(init.r.u32(), 3, "INIT asks for version 3");
  s.feed(version(exts));
  return { s, sftp: await started };
}

async function expectProtocolError(s: Script, sftp: SftpClient, p: Promise<unknown>) {
  await assert.rejects(p, SftpProtocolError);
  assert.ok((await sftp.ended) instanceof SftpProtocolError);
  assert.ok(s.closed, "the channel was closed");
  await assert.rejects(sftp.stat("/"), SftpProtocolError);
}

Deno.test("protocol: a packet length over 16 MiB is refused", async () => {
  const { s, sftp } = await scripted();
  const p = sftp.stat("/");
  await tick();
  s.feed(new SshWriter().u32(16 * 1024 * 1024 + 1).byte(105).finish());
  await expectProtocolError(s, sftp, p);
  assert.match((await sftp.ended).message, /refused/);
});

Deno.test("protocol: a packet length under 5 is refused", async () => {
  const { s, sftp } = await scripted();
  const p = sftp.stat("/");
  await tick();
  s.feed(new SshWriter().u32(4).u32(0).finish());
  await expectProtocolError(s, sftp, p);
  assert.match((await sftp.ended).message, /refused/);
});

Deno.test("protocol: an answer to an unknown id is refused", async () => {
  const { s, sftp } = await scripted();
  const p = sftp.stat("/");
  await tick();
  s.feed(status(s.lastId() + 1, 0));
  await expectProtocolError(s, sftp, p);
});

Deno.test("protocol: an answer of the wrong type is refused", async () => {
  const { s, sftp } = await scripted();
  const p = sftp.stat("/");
  await tick();
  // An empty handle would even read as ATTRS (flags 0): only its type gives it away.
  s.feed(pkt(102, (w) => w.u32(s.lastId()).string("")));
  await expectProtocolError(s, sftp, p);
});

Deno.test("protocol: status OK where a result is due is refused", async () => {
  const { s, sftp } = await scripted();
  const p = sftp.open("/x", OPEN.READ);
  await tick();
  s.feed(status(s.lastId(), STATUS.OK));
  await expectProtocolError(s, sftp, p);
});

Deno.test("protocol: a truncated answer is refused, its request fails", async () => {
  const { s, sftp } = await scripted();
  const p = sftp.stat("/");
  await tick();
  // ATTRS with the SIZE flag but only 4 of its 8 bytes.
  s.feed(pkt(105, (w) => w.u32(s.lastId()).u32(1).u32(0)));
  await expectProtocolError(s, sftp, p);
});

Deno.test("protocol: DATA longer than the READ asked for is refused", async () => {
  const { s, sftp } = await scripted();
  const p = sftp.read(new Uint8Array([1]), 0, 4);
  await tick();
  s.feed(pkt(103, (w) => w.u32(s.lastId()).string(new Uint8Array(5))));
  await expectProtocolError(s, sftp, p);
});

Deno.test("protocol: malformed or unexpected VERSION fails start", async () => {
  for (
    const bad of [
      pkt(2, (w) => w.u32(3).string("ext")), // an extension name without its data
      pkt(2), // no version at all
      pkt(2, (w) => w.u32(2)), // an older version
      status(0, 0), // not a VERSION
    ]
  ) {
    const s = new Script();
    const started = assert.rejects(SftpClient.start(s), SftpProtocolError);
    await tick();
    s.feed(bad);
    await started;
    assert.ok(s.closed);
  }
});

Deno.test("start: rejects when the channel closes first, and after the timeout", async () => {
  const s = new Script();
  const started = assert.rejects(SftpClient.start(s), (e) => e === err);
  const err = new Error("connection reset");
  await tick();
  s.onClose!(err);
  await started;

  const s2 = new Script();
  await assert.rejects(SftpClient.start(s2, { timeoutMs: 30 }), /Timed out/);
  assert.ok(s2.closed);
});

Deno.test("start: extensions are read; limits asked for when listed", async () => {
  const s = new Script();
  const started = SftpClient.start(s);
  await tick();
  s.feed(version([["limits@openssh.com", "1"], ["fsync@openssh.com", "1"]]));
  await tick();
  const req = s.requests().at(-1)!;
  assert.equal(req.type, 200);
  assert.equal(req.r.text(), "limits@openssh.com");
  s.feed(pkt(201, (w) => w.u32(req.id).u64(262144).u64(261120).u64(261120).u64(0)));
  const sftp = await started;
  assert.deepEqual(sftp.limits, {
    maxPacket: 262144,
    maxRead: 261120,
    maxWrite: 261120,
    maxOpenHandles: 0,
  });
  assert.equal(sftp.extensions.get("fsync@openssh.com"), "1");

  // Without the extension: no limits, and extended requests fail as unsupported.
  const { sftp: plain } = await scripted();
  assert.equal(plain.limits, undefined);
  const unsupported = (e: unknown) =>
    e instanceof SftpStatusError && e.code === STATUS.OP_UNSUPPORTED;
  await assert.rejects(plain.posixRename("/a", "/b"), unsupported);
  await assert.rejects(plain.fsync(new Uint8Array(1)), unsupported);
});

Deno.test("status answers: EOF is null for read and readdir, an error elsewhere", async () => {
  const { s, sftp } = await scripted();
  const r = sftp.read(new Uint8Array([1]), 0, 10);
  const d = sftp.readdir(new Uint8Array([1]));
  const st = assert.rejects(sftp.stat("/"), (e: SftpStatusError) => {
    assert.equal(e.code, STATUS.EOF);
    assert.equal(e.message, "End of file"); // the standard text for an empty message
    return true;
  });
  const fail = assert.rejects(sftp.remove("/"), (e: SftpStatusError) => {
    assert.equal(e.code, STATUS.FAILURE);
    assert.equal(e.message, "server says no");
    return true;
  });
  await tick();
  const ids = s.requests().slice(1).map((q) => q.id);
  s.feed(
    joinBytes([
      status(ids[0]!, STATUS.EOF),
      status(ids[1]!, STATUS.EOF),
      status(ids[2]!, STATUS.EOF),
      status(ids[3]!, STATUS.FAILURE, "server says no"),
    ]),
  );
  assert.equal(await r, null);
  assert.equal(await d, null);
  await st;
  await fail;
});

Deno.test("attrs: extended attributes are skipped; names decode", async () => {
  const { s, sftp } = await scripted();
  const p = sftp.readdir(new Uint8Array([1]));
  await tick();
  s.feed(pkt(104, (w) => {
    w.u32(s.lastId()).u32(2);
    w.string("a").string("-rw a").u32(0x8000_000f).u64(5).u32(1).u32(2).u32(0o100644)
      .u32(10).u32(20).u32(2).string("x").string("y").string("z").string("");
    w.string("b").string("drw b").u32(4).u32(0o040755);
  }));
  assert.deepEqual(await p, [
    {
      filename: "a",
      longname: "-rw a",
      attrs: { size: 5, uid: 1, gid: 2, mode: 0o100644, atime: 10, mtime: 20 },
    },
    { filename: "b", longname: "drw b", attrs: { mode: 0o040755 } },
  ]);
});

Deno.test("write: data goes by reference; onSent waits for the channel's", async () => {
  const { s, sftp } = await scripted();
  const data = new Uint8Array([1, 2, 3]);
  let sent = 0;
  const w = sftp.write(new Uint8Array([9]), 7, data, () => sent++);
  const w2 = sftp.write(new Uint8Array([9]), 10, data, () => sent++);
  const st = sftp.stat("/");
  await tick();
  assert.equal(s.writes.length, 2, "INIT, then this turn's requests in one write");
  const { parts, onSent } = s.writes[1]!;
  assert.ok(parts.includes(data), "the data part is the caller's array");
  assert.equal(sent, 0);
  onSent!();
  assert.equal(sent, 2, "each request's onSent ran");
  const [a, b, c] = s.requests().slice(1);
  assert.equal(a!.type, 6);
  assert.deepEqual(a!.r.string(), new Uint8Array([9]));
  assert.equal(a!.r.u64(), 7);
  assert.deepEqual(a!.r.string(), data);
  assert.equal(b!.type, 6);
  assert.equal(c!.type, 17);
  s.feed(joinBytes([status(a!.id, 0), status(b!.id, 0)]));
  s.feed(pkt(105, (r) => r.u32(c!.id).u32(0)));
  await w;
  await w2;
  assert.deepEqual(await st, {});
});

Deno.test("DATA split at every byte, with several packets per chunk", async () => {
  const { s, sftp } = await scripted();
  const h = new Uint8Array([1]);
  const reads = [sftp.read(h, 0, 10), sftp.read(h, 10, 10), sftp.stat("/")];
  await tick();
  const ids = s.requests().slice(1).map((q) => q.id);
  const bytes = joinBytes([
    pkt(103, (w) => w.u32(ids[0]!).string(new Uint8Array([1, 2, 3, 4, 5]))),
    pkt(103, (w) => w.u32(ids[1]!).string(new Uint8Array([6]))),
    pkt(105, (w) => w.u32(ids[2]!).u32(1).u64(42)),
  ]);
  // Split at one byte for the first packet, then the rest in one chunk.
  const chunks: Uint8Array[] = [];
  for (let i = 0; i < 18; i++) chunks.push(bytes.slice(i, i + 1));
  chunks.push(bytes.slice(18));
  s.feed(...chunks);
  const first = (await reads[0]) as Uint8Array[];
  assert.equal(first.length, 5, "one piece per chunk it came in");
  first.forEach((p) => assert.ok(chunks.some((c) => c.buffer === p.buffer)));
  assert.deepEqual(joinBytes(first), new Uint8Array([1, 2, 3, 4, 5]));
  const second = (await reads[1]) as Uint8Array[];
  assert.deepEqual(second, [new Uint8Array([6])]);
  assert.equal(second[0]!.buffer, chunks.at(-1)!.buffer, "a view of the chunk it shares");
  assert.deepEqual(await reads[2], { size: 42 });
});

Deno.test("request ids wrap at 2^32", async () => {
  const { s, sftp } = await scripted([], { firstId: 0xffff_fffe });
  const p = [sftp.stat("/a"), sftp.stat("/b"), sftp.stat("/c")];
  await tick();
  const ids = s.requests().slice(1).map((q) => q.id);
  assert.deepEqual(ids, [0xffff_fffe, 0xffff_ffff, 0]);
  s.feed(...ids.map((id) => status(id, STATUS.NO_SUCH_FILE)));
  for (const q of p) await assert.rejects(q, SftpStatusError);
});

Deno.test("the channel's onClose error reaches pending and later calls", async () => {
  const { s, sftp } = await scripted();
  const err = new Error("connection lost");
  const p = assert.rejects(sftp.stat("/"), (e) => e === err);
  await tick();
  s.onClose!(err);
  await p;
  assert.equal(await sftp.ended, err);
  await assert.rejects(sftp.realpath("."), (e) => e === err);
});

Deno.test("closedError makes the error calls fail with when the channel closes, from its reason", async () => {
  const reasons: (Error | undefined)[] = [];
  const { s, sftp } = await scripted([], {
    closedError: (why) => {
      reasons.push(why);
      return new Error(`lost the server: ${why?.message ?? "closed"}`);
    },
  });
  const p = assert.rejects(sftp.stat("/"), /^Error: lost the server: reset by peer$/);
  await tick();
  const why = new Error("reset by peer");
  s.onClose!(why);
  await p;
  assert.deepEqual(reasons, [why]);
  assert.equal((await sftp.ended).message, "lost the server: reset by peer");
  await assert.rejects(sftp.realpath("."), /lost the server: reset by peer/);
});

Deno.test("list closes the folder's handle when a READDIR fails", async () => {
  const { s, sftp } = await scripted();
  const listing = assert.rejects(
    sftp.list("/d"),
    (e: SftpStatusError) => e.code === STATUS.FAILURE,
  );
  await tick();
  assert.equal(s.requests().at(-1)!.type, 11);
  s.feed(pkt(102, (w) => w.u32(s.lastId()).string("dh")));
  await tick();
  assert.equal(s.requests().at(-1)!.type, 12);
  s.feed(status(s.lastId(), STATUS.FAILURE, "disk on fire"));
  await tick();
  const close = s.requests().at(-1)!;
  assert.equal(close.type, 4, "CLOSE was sent");
  assert.deepEqual(close.r.string(), new TextEncoder().encode("dh"));
  s.feed(status(close.id, STATUS.OK));
  await listing;
});

Deno.test("stall: requests that wait stallMs with nothing from the server fail the client, saying so", async () => {
  const { s, sftp } = await scripted([], { stallMs: 200 });
  const started = performance.now();
  const a = sftp.stat("/a");
  const b = sftp.stat("/b");
  // Bounded: without the watch, the requests would wait for ever.
  await within(
    assert.rejects(a, { message: "The server sent nothing for 0.2 s while 2 requests waited" }),
    "the stall's error",
    5_000,
  );
  await assert.rejects(b, { message: "The server sent nothing for 0.2 s while 2 requests waited" });
  const waited = performance.now() - started;
  assert.ok(waited >= 190 && waited < 2_000, `failed after ${waited} ms`);
  assert.ok(s.closed, "the channel was closed");
  await assert.rejects(sftp.stat("/"), /The server sent nothing/);
});

Deno.test("stall: a slow server that keeps answering, and a client with nothing waiting, are not stalled", async () => {
  const { s, sftp } = await scripted([], { stallMs: 300 });
  const ps = [sftp.stat("/1"), sftp.stat("/2"), sftp.stat("/3")].map((p) =>
    p.then(() => undefined, (e: Error) => e)
  );
  await tick();
  const ids = s.requests().slice(1).map((q) => q.id);
  // One answer every 200 ms: 600 ms in all, twice stallMs, never 300 ms with nothing.
  for (const id of ids) {
    await new Promise((r) => setTimeout(r, 200));
    s.feed(status(id, 2, "no such file"));
  }
  for (const p of ps) assert.match(String((await p)?.message), /^no such file$/);
  // Nothing waits: idle for longer than stallMs is no stall.
  await new Promise((r) => setTimeout(r, 500));
  const p = sftp.stat("/4");
  await tick();
  s.feed(status(s.lastId(), 2, "no such file"));
  await assert.rejects(p, /no such file/);
  assert.ok(!s.closed);
  sftp.fail(new Error("test over"));
});
