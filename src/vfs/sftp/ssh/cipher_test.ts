/**
 * Tests of SSH packet protection (./cipher.ts), each run with OpenSSL (where this process has
 * it) and with WebCrypto (+ @noble/ciphers), by passing the backend to newSealer/newOpener.
 * References are independent of the code under test: WebCrypto used directly for AES-GCM,
 * AES-CTR and HMAC, @noble/ciphers's ChaCha20 and Poly1305 for chacha20-poly1305@openssh.com
 * (the library the WebCrypto backend itself uses for ChaCha20 and for the first block of CTR
 * without etm: there the OpenSSL backend and OpenSSH's sshd, tests/vfs/sftp_test.ts, are the
 * independent checks).
 *
 * @module
 */

import {
  type Backend,
  CIPHERS,
  cipherSpec,
  defaultBackend,
  type DirectionKeys,
  MACS,
  macSpec,
  newOpener,
  newSealer,
  type Opener,
  preferredCiphers,
  type Sealer,
} from "./cipher.ts";
import { systemOpenSsl } from "./openssl.ts";
import { joinBytes } from "../../../bytes.ts";
import { chacha20orig } from "@noble/ciphers/chacha.js";
import { poly1305 } from "@noble/ciphers/_poly1305.js";

const BACKENDS: Backend[] = systemOpenSsl() ? ["openssl", "webcrypto"] : ["webcrypto"];
const SIZES = [0, 1, 15, 16, 17, 4095, 32768, 262144];
const MAX = 300_000;

/** An opener ready to use (see Opener.ready). */
async function opener(k: DirectionKeys | null, backend: Backend): Promise<Opener> {
  const o = newOpener(k, MAX, backend);
  await o.ready;
  return o;
}

function fail(msg: string): never {
  throw new Error(msg);
}

function assert(cond: unknown, msg: string): asserts cond {
  if (!cond) fail(msg);
}

function assertEq<T>(actual: T, expected: T, what: string): void {
  if (actual !== expected) fail(`${what}: expected ${expected}, got ${actual}`);
}

function assertBytes(actual: Uint8Array, expected: Uint8Array, what: string): void {
  assertEq(actual.length, expected.length, `${what} length`);
  for (let i = 0; i < actual.length; i++) {
    if (actual[i] !== expected[i]) fail(`${what}: first difference at byte ${i}`);
  }
}

async function assertThrows(f: () => unknown, re: RegExp, what: string): Promise<void> {
  let result: unknown;
  try {
    result = await f();
  } catch (e) {
    const m = e instanceof Error ? e.message : String(e);
    if (!re.test(m)) fail(`${what}: threw "${m}", expected ${re}`);
    return;
  }
  fail(`${what}: did not throw (returned ${result instanceof Uint8Array ? "bytes" : result})`);
}

function random(n: number): Uint8Array<ArrayBuffer> {
  const b = new Uint8Array(n);
  for (let at = 0; at < n; at += 65536) crypto.getRandomValues(b.subarray(at, at + 65536));
  return b;
}

function u32(b: Uint8Array, at = 0): number {
  return new DataView(b.buffer, b.byteOffset + at, 4).getUint32(0);
}

function be32(n: number): Uint8Array<ArrayBuffer> {
  const b = new Uint8Array(4);
  new DataView(b.buffer).setUint32(0, n >>> 0);
  return b;
}

/** The bytes of `parts` in one new array (WebCrypto takes it as it is). */
const cat = (...parts: Uint8Array[]) => joinBytes(parts) as Uint8Array<ArrayBuffer>;

/** Every cipher, with every MAC for CTR; null: no encryption. */
interface Combo {
  cipher: string;
  mac?: string;
}

const COMBOS: Combo[] = CIPHERS.flatMap((cipher) =>
  cipherSpec(cipher)!.aead ? [{ cipher }] : MACS.map((mac) => ({ cipher, mac }))
);

const label = (c: Combo | null) => c === null ? "none" : c.mac ? `${c.cipher}+${c.mac}` : c.cipher;

function keysFor(c: Combo, iv?: Uint8Array): DirectionKeys {
  const spec = cipherSpec(c.cipher)!;
  return {
    cipher: c.cipher,
    mac: c.mac,
    key: random(spec.keyLength),
    iv: iv ?? random(spec.ivLength),
    macKey: c.mac ? random(macSpec(c.mac)!.keyLength) : undefined,
  };
}

/** Seals `payload` (split in up to three parts) into a new buffer. */
async function seal(s: Sealer, payload: Uint8Array, seq: number): Promise<Uint8Array> {
  const out = new Uint8Array(s.sealedLength(payload.length));
  const a = Math.floor(payload.length / 3);
  const parts = payload.length > 2
    ? [payload.subarray(0, a), payload.subarray(a, 2 * a), payload.subarray(2 * a)]
    : [payload];
  await s.seal(parts, seq, out);
  return out;
}

/** Opens a packet the way a transport does: length from the head, then the whole (a copy). */
async function open(o: Opener, wire: Uint8Array, seq: number): Promise<Uint8Array> {
  const head = wire.slice(0, o.headLength);
  const n = o.wireLength(head, seq);
  assertEq(n, wire.length, "wireLength");
  const packet = wire.slice();
  packet.set(head); // the same bytes as the head given to wireLength
  return await o.open(packet, seq);
}

/** Length from the head, then open, with no checks of the harness's own: for bad packets. */
async function tryOpen(o: Opener, wire: Uint8Array, seq: number): Promise<Uint8Array> {
  o.wireLength(wire.slice(0, o.headLength), seq);
  return await o.open(wire.slice(), seq);
}

/** Block size and whether the length counts in the alignment, per mode. */
function alignment(c: Combo | null): { block: number; withLength: boolean; tag: number } {
  if (c === null) return { block: 8, withLength: true, tag: 0 };
  const spec = cipherSpec(c.cipher)!;
  if (spec.aead) return { block: spec.blockSize, withLength: false, tag: 16 };
  const mac = macSpec(c.mac!)!;
  return { block: 16, withLength: !mac.etm, tag: mac.tagLength };
}

/** Checks packet_length, padding and alignment of a sealed packet of a `p`-byte payload. */
function checkLayout(c: Combo | null, wire: Uint8Array, p: number, plainLength: number): void {
  const { block, withLength, tag } = alignment(c);
  assertEq(wire.length, 4 + plainLength + tag, `${label(c)} wire length`);
  const pad = plainLength - 1 - p;
  assert(pad >= 4, `${label(c)}: padding ${pad} < 4`);
  assert(pad < 4 + block, `${label(c)}: padding ${pad} longer than needed`);
  assertEq((plainLength + (withLength ? 4 : 0)) % block, 0, `${label(c)} alignment`);
  assert(4 + plainLength >= (withLength ? 16 : 4 + Math.max(block, 5)), `${label(c)} minimum`);
}

for (const backend of BACKENDS) {
  Deno.test(`${backend}: round trip of every size, sequence numbers wrapping`, async () => {
    for (const c of [null, ...COMBOS]) {
      const k = c && keysFor(c);
      const s = newSealer(k, backend);
      const o = await opener(k, backend);
      let seq = 0xffff_fffd;
      for (let round = 0; round < 2; round++) {
        for (const size of SIZES) {
          const payload = random(size);
          const wire = await seal(s, payload, seq);
          const { tag } = alignment(c);
          checkLayout(c, wire, size, wire.length - 4 - tag);
          assertBytes(await open(o, wire, seq), payload, `${label(c)} ${size} bytes`);
          seq = (seq + 1) >>> 0;
        }
      }
    }
  });

  Deno.test(`${backend}: many packets in sequence, sealed first then opened`, async () => {
    for (const c of [null, ...COMBOS]) {
      const k = c && keysFor(c);
      const s = newSealer(k, backend);
      const o = await opener(k, backend);
      const payloads: Uint8Array[] = [];
      const wires: Uint8Array[] = [];
      for (let i = 0; i < 150; i++) {
        const size = i % 10 === 9 ? 32768 + (i % 64) : (i * 37) % 300;
        payloads.push(random(size));
        wires.push(await seal(s, payloads[i]!, 1000 + i));
      }
      for (let i = 0; i < wires.length; i++) {
        assertBytes(await open(o, wires[i]!, 1000 + i), payloads[i]!, `${label(c)} packet ${i}`);
      }
    }
  });

  Deno.test(`${backend}: a flipped bit anywhere in a packet is refused`, async () => {
    for (const c of COMBOS) {
      const k = keysFor(c);
      const s = newSealer(k, backend);
      const first = await seal(s, random(40), 7);
      const target = await seal(s, random(100), 8);
      for (let i = 0; i < target.length; i++) {
        // A fresh opener that has taken the packet before (so CTR and GCM state has moved on).
        const o = await opener(k, backend);
        await open(o, first, 7);
        const bad = target.slice();
        bad[i]! ^= 1 << (i % 8);
        await assertThrows(
          () => tryOpen(o, bad, 8),
          /^Bad packet (MAC|authentication tag|length)/,
          `${label(c)} bit flipped in byte ${i}`,
        );
      }
      // And the untouched packet still opens on a fresh opener.
      const o = await opener(k, backend);
      await open(o, first, 7);
      await open(o, target, 8);
    }
  });

  Deno.test(`${backend}: the wrong sequence number is refused`, async () => {
    for (const c of COMBOS) {
      const k = keysFor(c);
      const s = newSealer(k, backend);
      const first = await seal(s, random(40), 50);
      const second = await seal(s, random(40), 51);
      for (const wrong of [50, 52, 51 + 2 ** 31]) {
        const o = await opener(k, backend);
        await open(o, first, 50);
        await assertThrows(
          () => tryOpen(o, second, wrong),
          /^Bad packet (MAC|authentication tag|length)/,
          `${label(c)} opened as ${wrong}`,
        );
      }
    }
  });

  Deno.test(`${backend}: wireLength refuses impossible lengths`, async () => {
    for (const c of [null, ...COMBOS]) {
      const { block, withLength, tag } = alignment(c);
      const k = c && keysFor(c);
      const s = newSealer(k, backend);
      const wire = await seal(s, random(10), 3);
      const plainLength = wire.length - 4 - tag;
      // The keystream over the length field (zero where the length is in clear).
      const probe = await opener(k, backend);
      const hl = probe.headLength;
      assertEq(probe.wireLength(wire.slice(0, hl), 3), wire.length, `${label(c)} length`);
      const ks = u32(wire) ^ plainLength;
      const headWith = (len: number) => {
        const h = wire.slice(0, hl);
        h.set(be32(len ^ ks));
        return h;
      };
      const aligned = (n: number) => n - ((n + (withLength ? 4 : 0)) % block);
      const cases: [number, RegExp][] = [
        [aligned(1000) + 3, /not a multiple of the block size/],
        [aligned(MAX + 5 * block), /over the maximum of 300000/],
        [aligned(MAX) + block, /over the maximum/],
        [0xffff_fff0, /over the maximum/],
        [withLength ? 4 : 0, withLength && block === 16 ? /not a multiple/ : /under the minimum/],
      ];
      for (const [len, re] of cases) {
        // A fresh opener each time: CTR's opener moves on once it has read a head.
        const o = await opener(k, backend);
        await assertThrows(
          () => o.wireLength(headWith(len), 3),
          new RegExp(`^Bad packet length ${len}: .*` + re.source),
          `${label(c)} length ${len}`,
        );
      }
      // The largest allowed.
      const o = await opener(k, backend);
      const top = aligned(MAX);
      assertEq(o.wireLength(headWith(top), 3), 4 + top + tag, `${label(c)} top length`);
    }
  });

  Deno.test(`${backend}: packets match independent references both ways`, async () => {
    // IVs whose counters carry: GCM's 64-bit invocation counter from its low word and from the
    // top (wrapping), CTR's 128-bit counter across the 64-bit halves and around the top.
    const gcmIvs = ["0102030400000000fffffffe", "01020304fffffffffffffffe", null];
    const ctrIvs = [
      "0000000000000001fffffffffffffff0",
      "fffffffffffffffffffffffffffffffe",
      "000000000000000000000000fffffffd",
      null,
    ];
    for (const c of COMBOS) {
      const spec = cipherSpec(c.cipher)!;
      const ivs = spec.ivLength === 12 ? gcmIvs : spec.ivLength === 16 ? ctrIvs : [null];
      for (const ivHex of ivs) {
        const k = keysFor(c, ivHex ? hex(ivHex) : undefined);
        const s = newSealer(k, backend);
        const ref = await reference(c, k);
        const sizes = [0, 1, 17, 4095, 32768, 100, 262144, 16, 15];
        let seq = 0xffff_fffe;
        for (const size of sizes) {
          const payload = random(size);
          const wire = await seal(s, payload, seq);
          const plain = await ref.open(wire, seq);
          checkLayout(c, wire, size, plain.length);
          assertEq(plain[0], plain.length - 1 - size, `${label(c)} padding length byte`);
          assertBytes(plain.subarray(1, 1 + size), payload, `${label(c)} ${size} by reference`);
          seq = (seq + 1) >>> 0;
        }
        // The other way: the reference seals, the opener opens.
        const o = await opener(k, backend);
        const ref2 = await reference(c, k);
        seq = 77;
        for (const size of sizes) {
          const payload = random(size);
          const wire = await ref2.seal(payload, seq);
          assertBytes(await open(o, wire, seq), payload, `${label(c)} ${size} from reference`);
          seq++;
        }
      }
    }
  });
  Deno.test(`${backend}: padding under 4 bytes or beyond the packet is refused`, async () => {
    for (const c of [null, ...COMBOS]) {
      const { block, withLength } = alignment(c);
      // A payload size that makes 3 bytes of padding align (and the packet over the minimum).
      const p = block + (block - (((withLength ? 5 : 1) + 3) % block)) % block;
      const cases: [number, number, number][] = [[p, 3, 3], [p, 3 + block, 3 + block + p + 1]];
      for (const [size, pad, declared] of cases) {
        const k = c && keysFor(c);
        const o = await opener(k, backend);
        let wire: Uint8Array;
        if (c === null) {
          const body = refBody(random(size), pad, declared);
          wire = cat(be32(body.length), body);
        } else {
          wire = await (await reference(c, k!)).seal(random(size), 5, pad, declared);
        }
        await assertThrows(
          () => tryOpen(o, wire, 5),
          new RegExp(`^Bad packet padding length ${declared}`),
          `${label(c)} padding ${pad} declared ${declared}`,
        );
      }
    }
  });
}

function hex(s: string): Uint8Array<ArrayBuffer> {
  return new Uint8Array(s.match(/../g)!.map((h) => parseInt(h, 16)));
}

/** A reference implementation of one direction: opens (checks, deciphers) and seals. */
interface Reference {
  /** The plaintext from the padding-length byte on (packet_length bytes), after the checks. */
  open(wire: Uint8Array, seq: number): Promise<Uint8Array>;
  /** `pad` overrides the padding's length and `declared` its padding-length byte. */
  seal(payload: Uint8Array, seq: number, pad?: number, declared?: number): Promise<Uint8Array>;
}

/** The padding-length byte, the payload and the padding. */
function refBody(payload: Uint8Array, pad: number, declared = pad): Uint8Array<ArrayBuffer> {
  return cat(new Uint8Array([declared]), payload, random(pad));
}

function refPadding(p: number, block: number, withLength: boolean): number {
  let pad = block - (((withLength ? 5 : 1) + p) % block);
  if (pad < 4) pad += block;
  return pad;
}

async function reference(c: Combo, k: DirectionKeys): Promise<Reference> {
  const spec = cipherSpec(c.cipher)!;
  const subtle = crypto.subtle;
  const key = k.key.slice() as Uint8Array<ArrayBuffer>;
  if (c.cipher.includes("gcm")) {
    const aes = await subtle.importKey("raw", key, "AES-GCM", false, ["encrypt", "decrypt"]);
    const fixed = k.iv.slice(0, 4);
    const start = new DataView(k.iv.buffer, k.iv.byteOffset).getBigUint64(4);
    let n = 0n;
    const nextIv = () => {
      const iv = new Uint8Array(12);
      iv.set(fixed);
      new DataView(iv.buffer).setBigUint64(4, (start + n++) % (1n << 64n));
      return iv;
    };
    return {
      async open(wire) {
        const plain = await subtle.decrypt(
          { name: "AES-GCM", iv: nextIv(), additionalData: wire.slice(0, 4) },
          aes,
          wire.slice(4),
        );
        assertEq(plain.byteLength, u32(wire), "GCM packet_length");
        return new Uint8Array(plain);
      },
      async seal(payload, _seq, pad = refPadding(payload.length, 16, false), declared) {
        const body = refBody(payload, pad, declared);
        const len = be32(body.length);
        const sealed = await subtle.encrypt(
          { name: "AES-GCM", iv: nextIv(), additionalData: len },
          aes,
          body,
        );
        return cat(len, new Uint8Array(sealed));
      },
    };
  }
  if (c.cipher.includes("ctr")) {
    const mac = macSpec(c.mac!)!;
    const hash = c.mac!.includes("sha1") ? "SHA-1" : c.mac!.includes("512") ? "SHA-512" : "SHA-256";
    const aes = await subtle.importKey("raw", key, "AES-CTR", false, ["encrypt", "decrypt"]);
    const hmac = await subtle.importKey(
      "raw",
      k.macKey!.slice() as Uint8Array<ArrayBuffer>,
      { name: "HMAC", hash },
      false,
      ["sign"],
    );
    const iv0 = BigInt("0x" + [...k.iv].map((b) => b.toString(16).padStart(2, "0")).join(""));
    let blocks = 0n;
    const ctr = (data: Uint8Array<ArrayBuffer>) => {
      const counter = new Uint8Array(16);
      const v = (iv0 + blocks) % (1n << 128n);
      const dv = new DataView(counter.buffer);
      dv.setBigUint64(0, v >> 64n);
      dv.setBigUint64(8, v & 0xffff_ffff_ffff_ffffn);
      blocks += BigInt(data.length / 16);
      return subtle.encrypt({ name: "AES-CTR", counter, length: 128 }, aes, data);
    };
    const sign = async (data: Uint8Array<ArrayBuffer>) =>
      new Uint8Array(await subtle.sign("HMAC", hmac, data));
    return {
      async open(wire, seq) {
        const tag = wire.slice(wire.length - mac.tagLength);
        if (mac.etm) {
          const len = u32(wire);
          assertEq(4 + len + mac.tagLength, wire.length, "etm packet_length");
          assertBytes(tag, await sign(cat(be32(seq), wire.subarray(0, 4 + len))), "etm HMAC");
          return new Uint8Array(await ctr(wire.slice(4, 4 + len)));
        }
        const plain = new Uint8Array(await ctr(wire.slice(0, wire.length - mac.tagLength)));
        assertEq(4 + u32(plain) + mac.tagLength, wire.length, "CTR packet_length");
        assertBytes(tag, await sign(cat(be32(seq), plain)), "HMAC");
        return plain.subarray(4);
      },
      async seal(payload, seq, pad = refPadding(payload.length, 16, !mac.etm), declared) {
        const body = refBody(payload, pad, declared);
        const len = be32(body.length);
        if (mac.etm) {
          const sealed = cat(len, new Uint8Array(await ctr(body)));
          return cat(sealed, await sign(cat(be32(seq), sealed)));
        }
        const plain = cat(len, body);
        const m = await sign(cat(be32(seq), plain));
        return cat(new Uint8Array(await ctr(plain)), m);
      },
    };
  }
  assertEq(spec.keyLength, 64, "chacha key");
  // chacha20-poly1305@openssh.com from @noble/ciphers's primitives.
  const k2 = key.slice(0, 32);
  const k1 = key.slice(32, 64);
  const nonce = (seq: number) => cat(new Uint8Array(4), be32(seq));
  const polyKey = (seq: number) => chacha20orig(k2, nonce(seq), new Uint8Array(32), undefined, 0);
  return {
    open(wire, seq) {
      const len = u32(chacha20orig(k1, nonce(seq), wire.slice(0, 4)));
      assertEq(4 + len + 16, wire.length, "chacha packet_length");
      const tag = poly1305(wire.subarray(0, 4 + len), polyKey(seq));
      assertBytes(wire.subarray(4 + len), tag, "Poly1305 tag");
      return Promise.resolve(chacha20orig(k2, nonce(seq), wire.slice(4, 4 + len), undefined, 1));
    },
    seal(payload, seq, pad = refPadding(payload.length, 8, false), declared) {
      const body = refBody(payload, pad, declared);
      const len = chacha20orig(k1, nonce(seq), be32(body.length));
      const sealed = cat(len, chacha20orig(k2, nonce(seq), body, undefined, 1));
      return Promise.resolve(cat(sealed, poly1305(sealed, polyKey(seq))));
    },
  };
}

Deno.test("webcrypto: a CTR opener without etm deciphers lengths only once its ready has settled", async () => {
  const c = COMBOS.find((x) => x.cipher.endsWith("-ctr") && !x.mac!.endsWith("-etm@openssh.com"))!;
  const k = keysFor(c);
  const wire = await seal(newSealer(k, "webcrypto"), random(10), 3);
  const o = newOpener(k, MAX, "webcrypto");
  await assertThrows(() => o.wireLength(wire.slice(0, 16), 3), /not ready yet/, "before ready");
  await o.ready;
  assertEq(o.wireLength(wire.slice(0, 16), 3), wire.length, "after ready");
});

Deno.test("cipherSpec and macSpec", () => {
  assertEq(CIPHERS.length, 6, "ciphers");
  assertEq(MACS.length, 6, "macs");
  const specs = CIPHERS.map((c) => JSON.stringify(cipherSpec(c)));
  assertEq(
    specs.join(" "),
    [
      { keyLength: 16, ivLength: 12, blockSize: 16, aead: true },
      { keyLength: 32, ivLength: 12, blockSize: 16, aead: true },
      { keyLength: 16, ivLength: 16, blockSize: 16, aead: false },
      { keyLength: 24, ivLength: 16, blockSize: 16, aead: false },
      { keyLength: 32, ivLength: 16, blockSize: 16, aead: false },
      { keyLength: 64, ivLength: 0, blockSize: 8, aead: true },
    ].map((s) => JSON.stringify(s)).join(" "),
    "cipher specs",
  );
  assertEq(
    MACS.map((m) => JSON.stringify(macSpec(m))).join(" "),
    [[32, true], [64, true], [32, false], [64, false], [20, true], [20, false]]
      .map(([n, etm]) => JSON.stringify({ keyLength: n, tagLength: n, etm })).join(" "),
    "mac specs",
  );
  assertEq(cipherSpec("aes128-cbc"), undefined, "unknown cipher");
  assertEq(cipherSpec("toString"), undefined, "inherited name");
  assertEq(macSpec("hmac-md5"), undefined, "unknown mac");
  assertEq(new Set(preferredCiphers()).size, CIPHERS.length, "preferred ciphers");
  for (const c of preferredCiphers()) assert(CIPHERS.includes(c), c);
});

Deno.test("bad keys and unknown algorithms are refused when made", () => {
  const key = random(16);
  const iv = random(16);
  for (const backend of BACKENDS) {
    for (
      const [k, re] of [
        [{ cipher: "aes128-cbc", key, iv }, /Unsupported SSH cipher/],
        [{ cipher: "aes128-ctr", key, iv }, /Unsupported SSH MAC/],
        [{ cipher: "aes128-ctr", mac: "hmac-sha1", key, iv }, /hmac-sha1 key needs 20 bytes/],
        [{ cipher: "aes256-ctr", mac: "hmac-sha1", key, iv }, /key needs 32 bytes, got 16/],
        [{ cipher: "aes128-gcm@openssh.com", key, iv: random(8) }, /IV needs 12 bytes/],
      ] as [DirectionKeys, RegExp][]
    ) {
      for (const make of [() => newSealer(k, backend), () => newOpener(k, MAX, backend)]) {
        try {
          make();
        } catch (e) {
          assert(re.test((e as Error).message), `${(e as Error).message} !~ ${re}`);
          continue;
        }
        fail(`${backend} ${k.cipher} ${k.mac}: accepted`);
      }
    }
  }
});

Deno.test("AFT_OPENSSL=0 turns OpenSSL off", async () => {
  const url = new URL("./cipher.ts", import.meta.url).href;
  const code = `import { defaultBackend } from ${
    JSON.stringify(url)
  }; console.log(defaultBackend());`;
  const run = async (env: Record<string, string>) => {
    const out = await new Deno.Command(Deno.execPath(), {
      args: ["eval", "--no-config", code],
      env,
      stdout: "piped",
      stderr: "inherit",
    }).output();
    return new TextDecoder().decode(out.stdout).trim();
  };
  assertEq(defaultBackend(), BACKENDS[0], "this process's default");
  assertEq(await run({ AFT_OPENSSL: "0" }), "webcrypto", "with AFT_OPENSSL=0");
  // Otherwise OpenSSL wherever libcrypto 3 loads (this process may have it off by AFT_OPENSSL).
  let loads = Deno.build.os === "linux";
  try {
    if (loads) Deno.dlopen("libcrypto.so.3", {}).close();
  } catch {
    loads = false;
  }
  assertEq(await run({ AFT_OPENSSL: "1" }), loads ? "openssl" : "webcrypto", "AFT_OPENSSL=1");
});
