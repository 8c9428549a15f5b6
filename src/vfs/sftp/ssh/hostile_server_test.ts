/**
 * aft's SSH client after the key exchange, against a server that misbehaves on purpose: the
 * scripted server of tests/fixtures/ssh_script_server.ts (a real curve25519 key exchange and
 * cipher, then whatever the test injects). What a real OpenSSH server does is tested in
 * tests/vfs/sftp_test.ts; transport_test.ts covers servers that fail before the key exchange.
 *
 * Every test bounds its waits ({@linkcode within}, `readyTimeoutMs`) so that a client that hangs
 * fails the test instead, and closes what it opened.
 */

import assert from "node:assert/strict";
import {
  newHostKey,
  SCRIPT_PASSWORD,
  SCRIPT_USER,
  ScriptConnectionEnded,
  type ScriptServer,
  type ScriptServerOptions,
  type ScriptSession,
  SERVER_CHANNEL,
  standardScript,
  startScriptServer,
} from "../../../../tests/fixtures/ssh_script_server.ts";
import { authenticate } from "./auth.ts";
import { defaultBackend } from "./cipher.ts";
import { INCOMING_WINDOW, openSubsystem, type SessionChannel } from "./channel.ts";
import { MSG } from "./messages.ts";
import { SshTransport } from "./transport.ts";
import { SshReader, SshWriter } from "./wire.ts";
import { joinBytes } from "../../../bytes.ts";
import { within as withinMs } from "../../../../tests/fixtures/within.ts";

/** The longest any one step may take before the test calls it a hang. */
const STEP_MS = 5_000;

/** `p`, or a rejection naming `what` once `ms` (default {@linkcode STEP_MS}) have passed. */
const within = <T>(p: Promise<T>, what: string, ms = STEP_MS) => withinMs(p, what, ms);

/** Connects to `server` and signs in. */
async function signedIn(server: ScriptServer): Promise<SshTransport> {
  const t = await connect(server);
  try {
    await within(authenticate(t, { user: SCRIPT_USER, password: SCRIPT_PASSWORD }), "sign-in");
  } catch (err) {
    t.close(err as Error);
    throw err;
  }
  return t;
}

function connect(server: ScriptServer): Promise<SshTransport> {
  return SshTransport.connect({
    host: "127.0.0.1",
    port: server.port,
    acceptHostKey: () => true,
    readyTimeoutMs: STEP_MS,
  });
}

/** A channel's data and closes, as they come. */
class Watched {
  readonly chunks: Uint8Array[] = [];
  bytes = 0;
  /** The errors `onClose` was called with, each call. */
  readonly closes: (Error | undefined)[] = [];
  readonly #closed = Promise.withResolvers<Error | undefined>();
  #want?: { n: number; done: () => void };
  /** Keep copies of the data (off: only count it). */
  keep = true;

  constructor(readonly ch: SessionChannel) {
    ch.onData = (d) => {
      if (this.keep) this.chunks.push(d.slice());
      this.bytes += d.length;
      if (this.#want && this.bytes >= this.#want.n) this.#want.done();
    };
    ch.onClose = (err) => {
      this.closes.push(err);
      this.#closed.resolve(err);
    };
  }

  /** Settles with the first close's error. */
  get closed(): Promise<Error | undefined> {
    return this.#closed.promise;
  }

  /** Resolves once `n` bytes in all have come. */
  received(n: number): Promise<void> {
    if (this.bytes >= n) return Promise.resolve();
    const w = Promise.withResolvers<void>();
    this.#want = { n, done: w.resolve };
    return w.promise;
  }

  /** Everything kept, as one array. */
  all(): Uint8Array {
    return joinBytes(this.chunks);
  }
}

async function openWatched(t: SshTransport, ms = STEP_MS): Promise<Watched> {
  return new Watched(await within(openSubsystem(t, "sftp"), "the channel open", ms));
}

const text = (s: string) => new TextEncoder().encode(s);

/** Writes `s` on the channel and checks the server echoes it: the connection still works. */
async function assertEchoes(w: Watched, s: string): Promise<void> {
  const keep = w.keep;
  w.keep = true;
  const chunks = w.chunks.length;
  w.ch.write([text(s)]);
  await within(w.received(w.bytes + s.length), `the echo of "${s}"`);
  w.keep = keep;
  const back = w.chunks.slice(chunks).map((c) => new TextDecoder().decode(c)).join("");
  assert.equal(back, s);
}

/**
 * A write that settles: resolves once its bytes have been sealed, rejects with the channel's
 * close error (what a caller waiting on the channel sees).
 */
function pendingWrite(w: Watched, bytes: Uint8Array): Promise<void> {
  return new Promise((resolve, reject) => {
    w.closed.then((err) => reject(err ?? new Error("closed without an error")));
    w.ch.write([bytes], resolve);
  });
}

/**
 * With a server that gives no window, signs in, opens the channel, starts a write (which waits
 * for window), then lets the server `act`; answers the error the write failed with, once
 * checked to be the connection's and the channel's one close, with the channel and the server.
 */
async function failedWrite(
  act: (s: ScriptSession) => Promise<void>,
): Promise<{ err: Error; t: SshTransport; w: Watched; server: ScriptServer }> {
  const writing = Promise.withResolvers<void>();
  let out!: { err: Error; t: SshTransport; w: Watched; server: ScriptServer };
  await withServer({
    channelWindow: 0,
    hooks: {
      async afterChannelOpen(s) {
        await writing.promise;
        await act(s);
      },
    },
  }, async (server, opened) => {
    const t = await signedIn(server);
    opened.push(t);
    const w = await openWatched(t);
    const write = pendingWrite(w, text("waits for window"));
    writing.resolve();
    const err = await within(write.then(() => undefined, (e: Error) => e), "the write");
    assert.ok(err instanceof Error, "the write was sent without window");
    assert.equal(await t.ended, err);
    assert.deepEqual(w.closes, [err]);
    out = { err, t, w, server };
  });
  return out;
}

/** The sequence number an UNIMPLEMENTED names. */
const unimplementedSeq = (m: Uint8Array) => new SshReader(m, 1).u32();

/** An unknown message: number `type`, then `size - 1` bytes. */
function unknown(type: number, size = 1): Uint8Array {
  const m = new Uint8Array(size).fill(0xa5);
  m[0] = type;
  return m;
}

/**
 * What the client told the server when it left (its DISCONNECT's reason and text), once the
 * server's only connection has ended; undefined when it said nothing.
 */
async function goodbyeTo(
  server: ScriptServer,
): Promise<{ reason: number; text: string } | undefined> {
  const s = server.sessions[0]!;
  await within(s.ended, "the server seeing the client go");
  return s.goodbye;
}

/** Runs `body` with a server and closes both sides afterwards, whatever happens. */
async function withServer(
  o: ScriptServerOptions,
  body: (server: ScriptServer, opened: SshTransport[]) => Promise<void>,
): Promise<void> {
  const server = await startScriptServer(o);
  const opened: SshTransport[] = [];
  try {
    await body(server, opened);
  } finally {
    for (const t of opened) t.close(new Error("test over"));
    await server.close();
  }
}

/** A script that takes the client going away as its end (for scripts that outlive it). */
function untilGone(script: (s: ScriptSession) => Promise<void>) {
  return async (s: ScriptSession) => {
    try {
      await script(s);
    } catch (err) {
      if (!(err instanceof ScriptConnectionEnded)) throw err;
    }
  };
}

Deno.test("hostile server: unknown messages after sign-in get UNIMPLEMENTED with their own sequence numbers, and the connection goes on", async () => {
  for (const strict of [true, false]) {
    const seqs: number[] = [];
    const answered: number[] = [];
    const allAnswered = Promise.withResolvers<void>();
    await withServer({
      strict,
      hooks: {
        async afterSignIn(s) {
          // Right behind USERAUTH_SUCCESS (the same write, so the same read): 192 with some
          // bytes, a number of the authentication range (no longer expected once signed in; it
          // was kept for the sign-in, then dropped unanswered, before transport.ts's fix), and
          // the last number.
          for (const m of [unknown(192, 40), unknown(79, 3), unknown(255)]) seqs.push(s.send(m));
          for (let i = 0; i < seqs.length; i++) {
            const m = await s.recv(MSG.UNIMPLEMENTED);
            assert.equal(m.length, 5, "UNIMPLEMENTED: the number and a uint32");
            answered.push(unimplementedSeq(m));
          }
          allAnswered.resolve();
        },
      },
    }, async (server, opened) => {
      const t = await signedIn(server);
      opened.push(t);
      await within(allAnswered.promise, "an UNIMPLEMENTED for each of the three");
      assert.deepEqual(answered, seqs, `strict ${strict}`);
      const w = await openWatched(t);
      await assertEchoes(w, "still here");
      // Strict key exchange starts the numbers again at NEWKEYS: SERVICE_ACCEPT 0, SUCCESS 1.
      assert.deepEqual(seqs, strict ? [2, 3, 4] : [5, 6, 7]);
      assert.equal(t.isClosed, false);
    });
  }
});

Deno.test("hostile server: a flood of 20,000 unknown 16 KiB messages is answered one by one and nothing of it is kept", async () => {
  const count = 20_000;
  const flood = unknown(200, 16 * 1024);
  let before = 0;
  let wrong = 0;
  const allAnswered = Promise.withResolvers<void>();
  await withServer({
    hooks: {
      async afterSignIn(s) {
        before = Deno.memoryUsage().external;
        const seqs: number[] = [];
        // One payload, sent 20,000 times: the server's own memory does not grow with the flood.
        for (let i = 0; i < count; i++) seqs.push(s.send(flood));
        for (let i = 0; i < count; i++) {
          if (unimplementedSeq(await s.recv(MSG.UNIMPLEMENTED)) !== seqs[i]) wrong++;
        }
        allAnswered.resolve();
      },
    },
  }, async (server, opened) => {
    const t = await signedIn(server);
    opened.push(t);
    await within(allAnswered.promise, "20,000 UNIMPLEMENTED answers", 20_000);
    // ArrayBuffers are counted in `external`, for this isolate only (`rss` is the process's,
    // which other test files may share under --parallel). 312 MiB came in; kept payloads would
    // all show here (332 MiB more when they were kept). Seen: 5 to 10 MiB more, garbage not
    // collected yet.
    const grew = Deno.memoryUsage().external - before;
    assert.ok(grew < 64 * 1024 * 1024, `memory grew by ${(grew / 1048576).toFixed(0)} MiB`);
    assert.equal(wrong, 0, "UNIMPLEMENTED answers naming another sequence number");
    await assertEchoes(await openWatched(t), "after the flood");
  });
});

Deno.test({
  name:
    "hostile server: a flood of messages wanting answers from a server that reads none of them ends the connection with one error, before the answers pile up",
  // Some 300,000 packets each way: about 1 s with OpenSSL, 17 s where each is sealed and opened
  // by an asynchronous WebCrypto call (AFT_OPENSSL=0). What is tested does not depend on it.
  ignore: defaultBackend() !== "openssl",
}, async () => {
  // Unknown messages (UNIMPLEMENTED each) and channel requests wanting a reply (CHANNEL_FAILURE
  // each): 1 byte or 30 of the server's, 36 bytes on the wire; without the limit, 600,000 of
  // them took the client's heap 203 MiB higher (resident memory 345 MiB). Loopback's
  // socket buffers took some 240,000 answers before the client's queue grew; it ended at about
  // 310,000 messages sent.
  const limit = 1_000_000;
  for (const kind of ["unknown", "channel request"]) {
    let sent = 0;
    const flood = (s: ScriptSession) => {
      s.pauseReading();
      const m = kind === "unknown"
        ? unknown(201)
        : new SshWriter(64).byte(MSG.CHANNEL_REQUEST).u32(s.channel!.client)
          .string("keepalive@openssh.com").bool(true).finish();
      return (async () => {
        while (sent < limit) {
          for (let i = 0; i < 1000; i++) s.send(m);
          sent += 1000;
          await s.flush();
        }
      })();
    };
    await withServer({
      script: untilGone((s) =>
        standardScript(s, kind === "unknown" ? { afterSignIn: flood } : { afterChannelOpen: flood })
      ),
    }, async (server, opened) => {
      const t = await signedIn(server);
      opened.push(t);
      if (kind === "channel request") await openWatched(t);
      const err = await within(t.ended, `the end of the ${kind} flood`, 10_000);
      assert.match(
        err.message,
        /^The server does not read aft's answers \(65536 waiting to be sent\)$/,
        kind,
      );
      assert.ok(sent < limit, `${sent} messages sent`);
    });
  }
});

Deno.test("hostile server: an unknown message during sign-in is answered UNIMPLEMENTED (outside the authentication range) or fails the sign-in clearly (inside it)", async () => {
  // 192, before USERAUTH_SUCCESS: answered, and the sign-in completes.
  let seq = -1;
  let answered = -2;
  await withServer({
    hooks: {
      async duringSignIn(s) {
        seq = s.send(unknown(192, 9));
        answered = unimplementedSeq(await s.recv(MSG.UNIMPLEMENTED));
      },
    },
  }, async (server, opened) => {
    const t = await signedIn(server);
    opened.push(t);
    assert.equal(answered, seq);
    await assertEchoes(await openWatched(t), "signed in");
  });

  // 70 (authentication method specific, RFC 4250 4.1.2), while the password's answer is
  // awaited: the sign-in fails with one error naming it, and nothing waits on.
  await withServer({
    script: untilGone((s) =>
      standardScript(s, {
        async duringSignIn(s) {
          s.send(unknown(70, 5));
          await s.ended;
        },
      })
    ),
  }, async (server, opened) => {
    const t = await connect(server);
    opened.push(t);
    await assert.rejects(
      within(authenticate(t, { user: SCRIPT_USER, password: SCRIPT_PASSWORD }), "sign-in"),
      { message: /^Unexpected message 70 during authentication$/ },
    );
  });
});

Deno.test("hostile server: a global request wanting a reply gets REQUEST_FAILURE; one not wanting one gets neither REQUEST_SUCCESS nor REQUEST_FAILURE, and the connection goes on", async () => {
  let answers: number[][] = [];
  await withServer({
    hooks: {
      async afterSignIn(s) {
        const request = (name: string, wantReply: boolean) =>
          new SshWriter(64).byte(MSG.GLOBAL_REQUEST).string(name).bool(wantReply).string("data")
            .finish();
        s.send(request("no-reply@example.com", false));
        s.send(request("reply-please@example.com", true));
        // Messages are answered in order (RFC 4253 11.4): once the marker's UNIMPLEMENTED is
        // in, every answer to the two requests is too.
        const marker = s.send(unknown(199));
        assert.equal(unimplementedSeq(await s.recv(MSG.UNIMPLEMENTED)), marker);
        answers = s.passedOver()
          .filter((m) => m[0] === MSG.REQUEST_SUCCESS || m[0] === MSG.REQUEST_FAILURE)
          .map((m) => [...m]);
      },
    },
  }, async (server, opened) => {
    const t = await signedIn(server);
    opened.push(t);
    const w = await openWatched(t);
    assert.deepEqual(answers, [[MSG.REQUEST_FAILURE]]);
    await assertEchoes(w, "requests refused");
  });
});

Deno.test("hostile server: CHANNEL_DATA for a channel that is not open (never was, or was closed) ends the connection with one error naming it", async () => {
  const data = (channel: number) =>
    new SshWriter(32).byte(MSG.CHANNEL_DATA).u32(channel).string("stray").finish();

  // A number never opened, while channel 0 is open.
  await withServer({
    hooks: {
      afterChannelOpen(s) {
        s.send(data(7));
      },
    },
  }, async (server, opened) => {
    const t = await signedIn(server);
    opened.push(t);
    const w = await openWatched(t);
    const err = await within(t.ended, "the connection's end");
    assert.match(err.message, /^Message 94 for channel 7, which is not open$/);
    assert.deepEqual(w.closes, [err]);
    assert.equal(w.bytes, 0);
    // The server is told why (RFC 4253 11.1: 2 is SSH_DISCONNECT_PROTOCOL_ERROR).
    assert.deepEqual(await goodbyeTo(server), { reason: 2, text: err.message });
  });

  // Channel 0 again, after both sides closed it (the number is free, nothing is open).
  const closing = Promise.withResolvers<void>();
  await withServer({
    hooks: {
      async afterChannelOpen(s) {
        await s.recv(MSG.CHANNEL_CLOSE);
        s.send(new SshWriter(8).byte(MSG.CHANNEL_CLOSE).u32(s.channel!.client).finish());
        s.send(data(0));
        closing.resolve();
      },
    },
  }, async (server, opened) => {
    const t = await signedIn(server);
    opened.push(t);
    const w = await openWatched(t);
    w.ch.close();
    await within(closing.promise, "the server's close");
    const err = await within(t.ended, "the connection's end");
    assert.match(err.message, /^Message 94 for channel 0, which is not open$/);
  });
});

Deno.test("hostile server: a message on a channel before its confirmation, or a second confirmation, ends the connection with one error saying so", async () => {
  /** Takes the client's CHANNEL_OPEN and answers it with `answer(client's channel number)`. */
  const answering = (answer: (s: ScriptSession, client: number) => void) =>
  async (
    s: ScriptSession,
  ) => {
    await s.handshake();
    await s.signIn();
    const r = new SshReader(await s.recv(MSG.CHANNEL_OPEN), 1);
    r.text();
    answer(s, r.u32());
  };
  const confirmation = (client: number) =>
    new SshWriter(32).byte(MSG.CHANNEL_OPEN_CONFIRMATION).u32(client).u32(SERVER_CHANNEL)
      .u32(1 << 20).u32(32 * 1024).finish();
  const cases: [string, (s: ScriptSession, client: number) => void, RegExp][] = [
    [
      // 9 MiB before any confirmation: enough to have needed a window adjustment.
      "data first",
      (s, client) => {
        for (let i = 0; i < 9 * 32; i++) {
          s.send(
            new SshWriter(32 * 1024 + 16).byte(MSG.CHANNEL_DATA).u32(client)
              .string(new Uint8Array(32 * 1024)).finish(),
          );
        }
      },
      /^The server sent message 94 on a channel it had not confirmed$/,
    ],
    [
      "confirmed twice",
      (s, client) => {
        s.send(confirmation(client));
        s.send(confirmation(client));
      },
      /^The server answered the opening of a channel it had already confirmed \(91\)$/,
    ],
  ];
  for (const [what, answer, want] of cases) {
    await withServer({ script: answering(answer) }, async (server, opened) => {
      const t = await signedIn(server);
      opened.push(t);
      const opening = openSubsystem(t, "sftp");
      const err = await within(t.ended, `the connection's end (${what})`);
      assert.match(err.message, want, what);
      // Data first: the open fails with that error; confirmed twice: the first confirmation
      // had opened it (the channel then ended with the connection).
      if (what === "data first") await assert.rejects(opening, (e: Error) => e === err);
      else await within(opening, "the channel open");
      assert.deepEqual(await goodbyeTo(server), { reason: 2, text: err.message }, what);
    });
  }
});

Deno.test("hostile server: CHANNEL_DATA sent without waiting for the window (256 MiB, window 16 MiB) is handed on as it comes, nothing is held, and no more window is given back than was used", async () => {
  // 1,024 packets of 256 KiB (the client's largest): 256 MiB, 240 MiB more than the window the
  // server started with, sent without waiting for a WINDOW_ADJUST. What the client does: it
  // gives window back as data arrives (once half is used), not as it is consumed, so data never
  // comes in past what it has granted by then; it hands each packet on at once and keeps
  // nothing, so what bounds memory is the consumer (here: nothing kept), not the window.
  const packets = 1024;
  const size = 256 * 1024;
  const total = packets * size;
  let before = 0;
  let given = 0;
  let sent = 0;
  await withServer({
    hooks: {
      async afterChannelOpen(s) {
        before = Deno.memoryUsage().external;
        const payload = new SshWriter(size + 16).byte(MSG.CHANNEL_DATA).u32(s.channel!.client)
          .string(new Uint8Array(size).fill(0x5a)).finish();
        for (let i = 0; i < packets; i++) {
          s.send(payload);
          sent += size;
          // Now and then: the server holds no more than a few packets itself.
          if (i % 8 === 7) await s.flush();
        }
        // Every WINDOW_ADJUST for the data is in once the marker's UNIMPLEMENTED is.
        s.send(unknown(210));
        await s.recv(MSG.UNIMPLEMENTED);
        for (const m of s.passedOver()) {
          if (m[0] !== MSG.CHANNEL_WINDOW_ADJUST) continue;
          const r = new SshReader(m, 1);
          r.u32();
          given += r.u32();
        }
      },
    },
  }, async (server, opened) => {
    const t = await signedIn(server);
    opened.push(t);
    const w = await openWatched(t);
    w.keep = false;
    await within(w.received(total), "all the data", 20_000);
    // As for the flood: 256 MiB came in; held data would show in `external`. Seen: about 20
    // MiB more, garbage not yet collected.
    const grew = Deno.memoryUsage().external - before;
    assert.ok(grew < 96 * 1024 * 1024, `memory grew by ${(grew / 1048576).toFixed(0)} MiB`);
    await assertEchoes(w, "window overrun");
    assert.equal(w.bytes, total + "window overrun".length);
    assert.equal(sent, total);
    // Given back: what was used, less what is still within the half the client keeps.
    assert.ok(given <= total, `${given} given back for ${total} received`);
    assert.ok(total - given < INCOMING_WINDOW / 2, `${given} given back for ${total} received`);
    assert.equal(t.isClosed, false);
  });
});

Deno.test("hostile server: CHANNEL_EXTENDED_DATA on the sftp channel is not data, and its window is given back (24 MiB of stderr within a 16 MiB window)", async () => {
  const total = 24 * 1024 * 1024;
  const chunk = 256 * 1024;
  let stderr = 0;
  await withServer({
    hooks: {
      async afterChannelOpen(s) {
        const ch = s.channel!;
        const bytes = new Uint8Array(chunk).fill(0x65);
        while (stderr < total) {
          // A server that keeps to the window: it waits for the client to give some back.
          while (ch.window < chunk) {
            const r = new SshReader(await s.recv(MSG.CHANNEL_WINDOW_ADJUST), 1);
            r.u32();
            ch.window += r.u32();
          }
          s.extendedData(bytes);
          stderr += chunk;
        }
      },
    },
  }, async (server, opened) => {
    const t = await signedIn(server);
    opened.push(t);
    const w = await openWatched(t);
    await within(
      (async () => {
        while (stderr < total) await new Promise((r) => setTimeout(r, 5));
      })(),
      "24 MiB of stderr (the server waits for its window)",
    );
    await assertEchoes(w, "stderr was not data");
    assert.equal(w.bytes, "stderr was not data".length);
    assert.deepEqual(w.closes, []);
  });
});

Deno.test("hostile server: DISCONNECT mid-session ends the connection and the channel with the server's text; what waited on them rejects", async () => {
  const why = "maintenance: back at 02:00";
  const want = new RegExp(`^The server disconnected \\(11\\): ${why}$`);

  // A write waiting for window (the server gave none), then DISCONNECT.
  const { err, t, server } = await failedWrite((s) => s.disconnect(11, why));
  assert.match(err.message, want);
  await assert.rejects(t.next(), { message: want });
  // The server's word was the last: no DISCONNECT goes back (RFC 4253 11.1).
  assert.equal(await goodbyeTo(server), undefined);

  // A channel open waiting for its confirmation, then DISCONNECT.
  await withServer({
    script: async (s) => {
      await s.handshake();
      await s.signIn();
      await s.recv(MSG.CHANNEL_OPEN);
      await s.disconnect(11, why);
    },
  }, async (server, opened) => {
    const t = await signedIn(server);
    opened.push(t);
    await assert.rejects(within(openSubsystem(t, "sftp"), "the channel open"), { message: want });
  });

  // The sign-in waiting for its answer, then DISCONNECT.
  await withServer({
    script: untilGone((s) => standardScript(s, { duringSignIn: (s) => s.disconnect(11, why) })),
  }, async (server, opened) => {
    const t = await connect(server);
    opened.push(t);
    await assert.rejects(
      within(authenticate(t, { user: SCRIPT_USER, password: SCRIPT_PASSWORD }), "sign-in"),
      { message: want },
    );
  });
});

Deno.test("hostile server: the TCP connection closed mid-session, between packets or inside one, gives one clear error", async () => {
  for (const inside of [false, true]) {
    const { err, w } = await failedWrite(async (s) => {
      // Inside: the first 20 bytes of a packet, then nothing.
      if (inside) s.channelData(text("cut short"), { truncate: 20 });
      await s.flush();
      s.close();
    });
    assert.match(err.message, /^The server closed the connection$/);
    assert.equal(w.bytes, 0);
  }
});

Deno.test("hostile server: a packet altered after the key exchange fails its check: one clear error, and nothing of it is handed on", async () => {
  for (const cipher of ["aes256-gcm@openssh.com", "chacha20-poly1305@openssh.com", "aes256-ctr"]) {
    await withServer({
      cipher,
      mac: "hmac-sha2-256",
      hooks: {
        afterChannelOpen(s) {
          s.channelData(text("before|"));
          s.channelData(text("altered"), { corrupt: true });
          s.channelData(text("after"));
        },
      },
    }, async (server, opened) => {
      const t = await signedIn(server);
      opened.push(t);
      assert.equal(t.cipher, cipher);
      const w = await openWatched(t);
      const err = await within(t.ended, "the connection's end");
      assert.match(
        err.message,
        /^An SSH packet from the server failed its check \(Bad packet (MAC|authentication tag)\)$/,
        cipher,
      );
      assert.deepEqual(w.closes, [err]);
      assert.equal(new TextDecoder().decode(w.all()), "before|");
      // 5: SSH_DISCONNECT_MAC_ERROR, sent under the keys in use (the client's side is intact).
      assert.deepEqual(await goodbyeTo(server), { reason: 5, text: err.message }, cipher);
    });
  }
});

Deno.test("hostile server: a second key exchange with another host key is refused with a clear error; with the same key it goes through", async () => {
  const other = await newHostKey();
  for (const changed of [false, true]) {
    const rekeyed = Promise.withResolvers<Error | undefined>();
    await withServer({
      hooks: {
        async afterChannelOpen(s) {
          rekeyed.resolve(
            await s.rekey(changed ? other : undefined).then(() => undefined, (e) => e),
          );
        },
      },
    }, async (server, opened) => {
      const t = await signedIn(server);
      opened.push(t);
      const w = await openWatched(t);
      if (!changed) {
        await assertEchoes(w, "same key, new keys");
        assert.equal(t.exchanges, 2);
        assert.equal(await rekeyed.promise, undefined);
        return;
      }
      const err = await within(t.ended, "the connection's end");
      assert.match(err.message, /^The server's host key changed during the connection$/);
      assert.deepEqual(w.closes, [err]);
      assert.equal(t.exchanges, 1);
      // The client went away without its NEWKEYS: the server's exchange did not complete.
      const failed = await within(rekeyed.promise, "the server seeing the client go");
      assert.ok(failed instanceof ScriptConnectionEnded, String(failed));
      // 9: SSH_DISCONNECT_HOST_KEY_NOT_VERIFIABLE.
      assert.deepEqual(await goodbyeTo(server), { reason: 9, text: err.message });
    });
  }
});

Deno.test("hostile server: a client that leaves says why: end() by application, a key exchange message out of turn as a failed exchange", async () => {
  // end(): 11 (SSH_DISCONNECT_BY_APPLICATION), and it has left when end() resolves.
  await withServer({}, async (server, opened) => {
    const t = await signedIn(server);
    opened.push(t);
    const w = await openWatched(t);
    await assertEchoes(w, "before the end");
    await within(t.end(), "end()");
    assert.match((await t.ended).message, /^The connection was closed$/);
    assert.deepEqual(await goodbyeTo(server), { reason: 11, text: "closed by aft" });
  });

  // A KEX reply with no exchange under way: 3 (SSH_DISCONNECT_KEY_EXCHANGE_FAILED).
  await withServer({
    hooks: {
      afterChannelOpen(s) {
        s.send(new SshWriter(16).byte(MSG.KEX_REPLY).string("").finish());
      },
    },
  }, async (server, opened) => {
    const t = await signedIn(server);
    opened.push(t);
    await openWatched(t);
    const err = await within(t.ended, "the connection's end");
    assert.match(err.message, /^KEX reply out of turn$/);
    assert.deepEqual(await goodbyeTo(server), { reason: 3, text: err.message });
  });
});
