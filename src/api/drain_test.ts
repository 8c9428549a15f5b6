import assert from "node:assert/strict";
import { answerAfterBody, drainReader, drainRequestBody } from "./drain.ts";

/** A body of `chunks` chunks of `size` bytes that counts how many were pulled. */
function counted(chunks: number, size = 1024) {
  const state = { pulled: 0, cancelled: false };
  const stream = new ReadableStream<Uint8Array>({
    pull(c) {
      if (state.pulled === chunks) return c.close();
      state.pulled++;
      c.enqueue(new Uint8Array(size));
    },
    cancel() {
      state.cancelled = true;
    },
  }, { highWaterMark: 0 });
  return { stream, state };
}

function post(body: ReadableStream<Uint8Array>, headers: Record<string, string> = {}) {
  return new Request("https://127.0.0.1/v1/jobs", { method: "POST", body, headers });
}

Deno.test("drainRequestBody() reads an unread body to its end", async () => {
  const { stream, state } = counted(100);
  assert.equal(await drainRequestBody(post(stream)), true);
  assert.equal(state.pulled, 100);
  assert.equal(state.cancelled, false);
});

Deno.test("drainRequestBody() cuts a body off past the limit, having read only that much", async () => {
  const { stream, state } = counted(1000);
  assert.equal(await drainRequestBody(post(stream), { limit: 10 * 1024 }), false);
  assert.ok(state.pulled <= 12, `pulled ${state.pulled} chunks`);
  assert.equal(state.cancelled, true);
});

Deno.test("drainRequestBody() reads nothing of a body declared over the limit", async () => {
  const { stream, state } = counted(10);
  const req = post(stream, { "Content-Length": String(64 * 1024 * 1024) });
  assert.equal(await drainRequestBody(req, { limit: 1024 * 1024 }), false);
  assert.equal(state.pulled, 0);
  assert.equal(state.cancelled, true);
});

Deno.test("drainRequestBody() leaves a body alone while someone else reads it", async () => {
  const { stream, state } = counted(10);
  const req = post(stream);
  const reader = req.body!.getReader();
  assert.equal(await drainRequestBody(req), false);
  assert.equal(state.cancelled, false);
  reader.releaseLock();
});

Deno.test("drainRequestBody() is done at once for a request without a body", async () => {
  assert.equal(await drainRequestBody(new Request("https://127.0.0.1/v1/health")), true);
});

Deno.test("drainReader() gives up on a body that never ends once its time is up", async () => {
  let cancelled = false;
  const stream = new ReadableStream<Uint8Array>({
    pull: () => new Promise(() => {}), // the client sends nothing more, and does not close
    cancel() {
      cancelled = true;
    },
  });
  assert.equal(await drainReader(stream.getReader(), { ms: 20 }), false);
  assert.equal(cancelled, true);
});

Deno.test("drainReader() continues a body read in part, to its end", async () => {
  const { stream, state } = counted(50);
  const reader = stream.getReader();
  await reader.read();
  assert.equal(await drainReader(reader), true);
  assert.equal(state.pulled, 50);
});

Deno.test("answerAfterBody() hands on the response only after the body was read", async () => {
  const { stream, state } = counted(30);
  const res = await answerAfterBody(post(stream), Response.json({ ok: 1 }, { status: 401 }));
  assert.equal(state.pulled, 30);
  assert.equal(res.status, 401);
  assert.deepEqual(await res.json(), { ok: 1 });
});
