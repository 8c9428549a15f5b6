import assert from "node:assert/strict";
import { Buffer } from "node:buffer";
import { DenoSocket, READ_SIZE } from "./deno_socket.ts";
import { mapError } from "./_map_error.ts";

/** A loopback listener whose first connection `serve` handles; `done` settles after it. */
function server(serve: (conn: Deno.TcpConn) => Promise<void>) {
  const listener = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  const port = (listener.addr as Deno.NetAddr).port;
  const done = (async () => {
    const conn = await listener.accept();
    try {
      await serve(conn);
    } finally {
      listener.close();
      try {
        conn.close();
      } catch { /* closed by serve */ }
    }
  })();
  return { port, done };
}

function patterned(n: number): Uint8Array {
  const b = new Uint8Array(n);
  for (let i = 0; i < n; i++) b[i] = (i * 31 + (i >> 11)) & 0xff;
  return b;
}

/** Every event the socket emits until `close`, and the data it gave. */
function watch(sock: DenoSocket) {
  const events: string[] = [];
  const chunks: Buffer[] = [];
  let error: (Error & { code?: string }) | undefined;
  sock.on("connect", () => events.push("connect"));
  sock.on("data", (c: Buffer) => chunks.push(c));
  sock.on("end", () => events.push("end"));
  sock.on("error", (e) => (events.push("error"), error = e));
  const closed = new Promise<void>((resolve) => sock.on("close", () => resolve()));
  return { events, chunks, closed, error: () => error };
}

Deno.test("DenoSocket: connects, then hands on everything the server sends, in order, each chunk in memory no later read reuses", async () => {
  // Several times the read size, sent in pieces of odd sizes while the client is paused now
  // and then (the kernel's buffer fills, so reads come back full): were a read buffer reused,
  // an earlier chunk would change under its holder and the joined data would differ.
  const sent = patterned(9 * READ_SIZE + 12_345);
  const srv = server(async (conn) => {
    for (let at = 0; at < sent.length;) {
      const n = Math.min(sent.length - at, 70_001);
      at += await conn.write(sent.subarray(at, at + n));
    }
  });
  const sock = new DenoSocket("127.0.0.1", srv.port);
  assert.equal(sock.connecting, true);
  const w = watch(sock);
  await new Promise((resolve) => sock.once("connect", resolve));
  assert.equal(sock.connecting, false);
  sock.pause();
  await new Promise((resolve) => setTimeout(resolve, 50));
  sock.resume();
  await w.closed;
  await srv.done;
  assert.deepEqual(w.events, ["connect", "end"]);
  assert.ok(w.chunks.some((c) => c.length > 64 * 1024), "a read took more than 64 KiB");
  assert.ok(w.chunks.every((c) => c.length <= READ_SIZE));
  const spans = w.chunks.map((c) => [c.buffer, c.byteOffset, c.byteOffset + c.length] as const);
  for (let i = 0; i < spans.length; i++) {
    for (let j = i + 1; j < spans.length; j++) {
      const [a, b] = [spans[i]!, spans[j]!];
      assert.ok(a[0] !== b[0] || a[2] <= b[1] || b[2] <= a[1], `chunks ${i} and ${j} overlap`);
    }
  }
  assert.ok(Buffer.concat(w.chunks).equals(Buffer.from(sent)), "the data arrived unchanged");
});

Deno.test("DenoSocket: corked writes arrive whole and in order, each write's callback called", async () => {
  const small = Array.from({ length: 200 }, (_, i) => patterned(100 + i));
  const large = patterned(300 * 1024);
  const expected = Buffer.concat([...small.slice(0, 100), large, ...small.slice(100)]);
  let got: Buffer | undefined;
  const srv = server(async (conn) => {
    const parts: Uint8Array[] = [];
    const buf = new Uint8Array(64 * 1024);
    for (let n; (n = await conn.read(buf)) !== null;) parts.push(buf.slice(0, n));
    got = Buffer.concat(parts);
  });
  const sock = new DenoSocket("127.0.0.1", srv.port).setNoDelay(true);
  const w = watch(sock);
  await new Promise((resolve) => sock.once("connect", resolve));
  let called = 0;
  sock.cork();
  for (const b of small.slice(0, 100)) sock.write(b, () => called++);
  sock.write(large, () => called++);
  for (const b of small.slice(100)) sock.write(b, () => called++);
  sock.uncork();
  sock.end();
  await w.closed;
  await srv.done;
  assert.equal(called, 201);
  assert.ok(got?.equals(expected), "the server got every byte, in order");
  assert.equal(w.error(), undefined);
});

Deno.test("DenoSocket: the server's end ends the socket's own side too; nothing is left open", async () => {
  let sawEof = false;
  const srv = server(async (conn) => {
    await conn.write(new TextEncoder().encode("bye"));
    await conn.closeWrite();
    sawEof = (await conn.read(new Uint8Array(16))) === null;
  });
  const sock = new DenoSocket("127.0.0.1", srv.port);
  const w = watch(sock);
  await w.closed;
  await srv.done;
  assert.equal(Buffer.concat(w.chunks).toString(), "bye");
  assert.deepEqual(w.events, ["connect", "end"]);
  assert.ok(sawEof, "the server read the end of the client's side");
});

Deno.test("DenoSocket: nothing listening and an unknown host give the codes node:net gives, and close", async () => {
  const l = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  const port = (l.addr as Deno.NetAddr).port;
  l.close();
  const refused = watch(new DenoSocket("127.0.0.1", port));
  await refused.closed;
  assert.equal(refused.error()?.code, "ECONNREFUSED");
  assert.match(mapError(refused.error()).message, /^Connection refused/);

  const unknown = watch(new DenoSocket("no-such-host.invalid", 22));
  await unknown.closed;
  assert.equal(unknown.error()?.code, "ENOTFOUND");
  assert.match(mapError(unknown.error()).message, /^Host name not found/);
});

Deno.test("DenoSocket: destroyed while connecting, it connects nothing and closes", async () => {
  let accepted: Deno.TcpConn | undefined;
  const listener = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  const port = (listener.addr as Deno.NetAddr).port;
  const accepting = listener.accept().then((c) => accepted = c, () => {});
  const sock = new DenoSocket("127.0.0.1", port);
  const w = watch(sock);
  sock.destroy();
  await w.closed;
  assert.deepEqual(w.events, []);
  // The connection may have been made before the abort reached it: then it is closed at once.
  await Promise.race([accepting, new Promise((resolve) => setTimeout(resolve, 200))]);
  if (accepted) {
    assert.equal(await accepted.read(new Uint8Array(1)), null);
    accepted.close();
  }
  listener.close();
});
