import assert from "node:assert/strict";
import { type SseEvent, SseParser } from "./sse.ts";

const enc = (s: string) => new TextEncoder().encode(s);

/** The events of `text` when its bytes arrive cut at every place in turn. */
function eventsCutAnywhere(text: string): SseEvent[][] {
  const bytes = enc(text);
  const out: SseEvent[][] = [];
  for (let cut = 0; cut <= bytes.length; cut++) {
    const got: SseEvent[] = [];
    const p = new SseParser((e) => got.push(e));
    p.push(bytes.subarray(0, cut));
    p.push(bytes.subarray(cut));
    out.push(got);
  }
  return out;
}

Deno.test("SseParser reads events whatever the pieces they arrive in", () => {
  const text = ": keep-alive\r\n" +
    'event: log\r\nid: 7\r\ndata: {"text":"caf\u00e9 \u{1F600}"}\r\n\r\n' +
    "data: one\ndata: two\n\n" +
    "event: end\rdata\r\r";
  const want: SseEvent[] = [
    { event: "log", id: "7", data: '{"text":"caf\u00e9 \u{1F600}"}' },
    { event: "message", id: undefined, data: "one\ntwo" },
    { event: "end", id: undefined, data: "" },
  ];
  for (const got of eventsCutAnywhere(text)) assert.deepEqual(got, want);
});

Deno.test("SseParser holds an event until its blank line, and ignores unknown fields", () => {
  const got: SseEvent[] = [];
  const p = new SseParser((e) => got.push(e));
  p.push(enc("event: log\nretry: 10\nfoo\ndata: x"));
  assert.deepEqual(got, []);
  p.push(enc("\n\n"));
  assert.deepEqual(got, [{ event: "log", data: "x", id: undefined }]);
});

Deno.test("SseParser refuses an event that never ends instead of growing without bound", () => {
  const p = new SseParser(() => {});
  const piece = new TextEncoder().encode("data: " + "x".repeat(1024 * 1024) + "\n");
  assert.throws(() => {
    for (let i = 0; i < 16; i++) p.push(piece);
  }, /an event of more than/);
  const q = new SseParser(() => {});
  assert.throws(() => {
    for (let i = 0; i < 16; i++) q.push(new TextEncoder().encode("y".repeat(1024 * 1024)));
  }, /an event of more than/);
});
