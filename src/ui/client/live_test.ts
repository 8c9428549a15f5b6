import assert from "node:assert/strict";
import { follow, parseEvents, type StreamEvent } from "./live.ts";

function streamOf(chunks: string[]): ReadableStream<Uint8Array> {
  const enc = new TextEncoder();
  return new ReadableStream({
    start(c) {
      for (const ch of chunks) c.enqueue(enc.encode(ch));
      c.close();
    },
  });
}

async function collect(chunks: string[], onRetry?: (ms: number) => void): Promise<StreamEvent[]> {
  const out: StreamEvent[] = [];
  for await (const e of parseEvents(streamOf(chunks), onRetry)) out.push(e);
  return out;
}

Deno.test("parseEvents() reads events however the bytes are cut and whatever the line ends", async () => {
  const text = ": comment\r\nevent: log\r\nid: 7\r\ndata: a\r\ndata:b\r\n\r\n" +
    "data: x\n\n" + "event: end\rdata: {}\r\r";
  const want: StreamEvent[] = [
    { event: "log", id: "7", data: "a\nb" },
    { event: "message", id: undefined, data: "x" },
    { event: "end", id: undefined, data: "{}" },
  ];
  assert.deepEqual(await collect([text]), want);
  for (let cut = 1; cut < text.length; cut++) {
    assert.deepEqual(await collect([text.slice(0, cut), text.slice(cut)]), want, `cut at ${cut}`);
  }
  assert.deepEqual(await collect([...text]), want, "one character at a time");
});

Deno.test("parseEvents() skips events without data, an unfinished last event, and odd fields", async () => {
  let retry = 0;
  const events = await collect(
    ["id: 1\n\nevent: x\n\nretry: 250\nretry: soon\nid: a\0b\nfoo: bar\ndata\n\ndata: cut"],
    (ms) => (retry = ms),
  );
  assert.deepEqual(events, [{ event: "message", id: undefined, data: "" }]);
  assert.equal(retry, 250);
});

Deno.test("parseEvents() keeps multi-byte characters split across chunks", async () => {
  const bytes = new TextEncoder().encode("data: héllo ✓\n\n");
  const body = new ReadableStream<Uint8Array>({
    start(c) {
      for (const b of bytes) c.enqueue(new Uint8Array([b]));
      c.close();
    },
  });
  const out = [];
  for await (const e of parseEvents(body)) out.push(e.data);
  assert.deepEqual(out, ["héllo ✓"]);
});

/** A server of `total` numbered events that drops every `dropEvery` and resends `overlap`. */
function dropServer(total: number, dropEvery: number, overlap: number) {
  const seen: (string | null)[] = [];
  const server = Deno.serve({ hostname: "127.0.0.1", port: 0, onListen() {} }, (req) => {
    const last = req.headers.get("Last-Event-ID");
    seen.push(last);
    const from = last === null ? 1 : Math.max(1, Number(last) + 1 - overlap);
    let body = "retry: 5\n\n";
    let n = from;
    for (; n <= total && n < from + dropEvery; n++) {
      body += `event: log\nid: ${n}\ndata: line ${n}\n\n`;
    }
    if (n > total) body += "event: end\ndata: {}\n\n";
    return new Response(body, { headers: { "Content-Type": "text/event-stream" } });
  });
  return { url: `http://127.0.0.1:${server.addr.port}/`, seen, server };
}

Deno.test("follow() resumes with Last-Event-ID and hands on each event once, in order", async () => {
  const s = dropServer(20, 6, 2);
  try {
    const got: string[] = [];
    const states: string[] = [];
    const f = follow(s.url, {
      retryMs: 5,
      onEvent: (e) => got.push(`${e.event}:${e.id ?? ""}:${e.data}`),
      onState: (st) => states.push(st),
    });
    assert.equal(await f.done, "ended");
    const want = Array.from({ length: 20 }, (_, i) => `log:${i + 1}:line ${i + 1}`);
    assert.deepEqual(got, [...want, "end::{}"]);
    assert.deepEqual(s.seen, [null, "6", "10", "14", "18"]);
    assert.equal(f.lastEventId, "20");
    assert.equal(states.at(-1), "ended");
    assert.ok(states.includes("retrying"));
  } finally {
    await s.server.shutdown();
  }
});

Deno.test("follow() starts after a given id, and stops on close()", async () => {
  const s = dropServer(1000, 3, 0);
  try {
    const got: string[] = [];
    const f: ReturnType<typeof follow> = follow(s.url, {
      retryMs: 5,
      lastEventId: "990",
      onEvent: (e) => {
        got.push(e.id ?? "");
        if (got.length === 4) f.close();
      },
    });
    assert.equal(await f.done, "closed");
    assert.deepEqual(got, ["991", "992", "993", "994"]);
    assert.equal(s.seen[0], "990");
  } finally {
    await s.server.shutdown();
  }
});

Deno.test("follow() gives up on a 4xx answer and retries a 5xx one", async () => {
  let calls = 0;
  const server = Deno.serve({ hostname: "127.0.0.1", port: 0, onListen() {} }, (req) => {
    calls++;
    if (new URL(req.url).pathname === "/gone") return new Response("no", { status: 404 });
    if (calls < 3) return new Response("busy", { status: 503 });
    return new Response("event: end\ndata: ok\n\n", {
      headers: { "Content-Type": "text/event-stream" },
    });
  });
  const base = `http://127.0.0.1:${server.addr.port}`;
  try {
    let detail = "";
    const gone = follow(`${base}/gone`, {
      onEvent() {},
      onState: (_s, d) => (detail = d ?? detail),
    });
    assert.equal(await gone.done, "failed");
    assert.match(detail, /The server refused the stream: 404/);
    assert.equal(calls, 1);
    const data: string[] = [];
    const busy = follow(`${base}/busy`, { retryMs: 5, onEvent: (e) => data.push(e.data) });
    assert.equal(await busy.done, "ended");
    assert.deepEqual(data, ["ok"]);
    assert.equal(calls, 3);
  } finally {
    await server.shutdown();
  }
});

Deno.test("follow() stops at a 'closed' event with its message, and shows a refusal's JSON message", async () => {
  let calls = 0;
  const server = Deno.serve({ hostname: "127.0.0.1", port: 0, onListen() {} }, (req) => {
    calls++;
    if (new URL(req.url).pathname === "/refused") {
      return Response.json({ error: { code: "UNAUTHORIZED", message: "Sign in again" } }, {
        status: 401,
      });
    }
    return new Response(
      'event: log\nid: 1\ndata: a\n\nevent: closed\ndata: {"message":"The session has ended"}\n\n',
      { headers: { "Content-Type": "text/event-stream" } },
    );
  });
  const base = `http://127.0.0.1:${server.addr.port}`;
  try {
    const states: string[] = [];
    const data: string[] = [];
    const closed = follow(`${base}/closed`, {
      retryMs: 5,
      onEvent: (e) => data.push(e.data),
      onState: (s, d) => states.push(d ? `${s}: ${d}` : s),
    });
    assert.equal(await closed.done, "failed");
    assert.deepEqual(data, ["a"], "the closed event is not handed on as data");
    assert.equal(states.at(-1), "failed: The session has ended");
    assert.equal(calls, 1, "no reconnect");
    let detail = "";
    const refused = follow(`${base}/refused`, {
      onEvent() {},
      onState: (_s, d) => (detail = d ?? detail),
    });
    assert.equal(await refused.done, "failed");
    assert.equal(detail, "Sign in again");
  } finally {
    await server.shutdown();
  }
});
