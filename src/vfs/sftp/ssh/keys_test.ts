import assert from "node:assert/strict";
import { join } from "node:path";
import { parseKey } from "ssh2/lib/protocol/keyParser.js";
import {
  fingerprintSHA256,
  HOST_KEY_ALGORITHMS,
  KeyError,
  parsePrivateKey,
  type UserKey,
  verifyHostSignature,
} from "./keys.ts";
import { SshReader, SshWriter } from "./wire.ts";

// Real keys from OpenSSH's ssh-keygen, made once for all tests.
const dir = Deno.makeTempDirSync({ prefix: "aft-keys-test-" });
const PHRASE = "s3cret phrase";

function run(cmd: string, args: string[], cwd?: string): string {
  const out = new Deno.Command(cmd, { args, cwd, stdout: "piped", stderr: "piped" }).outputSync();
  const text = new TextDecoder().decode(out.stdout);
  if (!out.success) {
    throw new Error(`${cmd} ${args.join(" ")}: ${new TextDecoder().decode(out.stderr)}`);
  }
  return text;
}

function keygen(name: string, args: string[], phrase = ""): string {
  const file = join(dir, name);
  run("ssh-keygen", ["-q", ...args, "-N", phrase, "-C", "test@" + name, "-f", file]);
  return file;
}

interface Case {
  name: string;
  file: string;
  type: string;
  passphrase?: string;
}

const rsaAlgorithms = ["rsa-sha2-512", "rsa-sha2-256", "ssh-rsa"];
const cases: Case[] = [
  { name: "ed25519 (OpenSSH)", args: ["-t", "ed25519"], type: "ssh-ed25519" },
  { name: "ecdsa 256 (OpenSSH)", args: ["-t", "ecdsa", "-b", "256"], type: "ecdsa-sha2-nistp256" },
  { name: "ecdsa 384 (OpenSSH)", args: ["-t", "ecdsa", "-b", "384"], type: "ecdsa-sha2-nistp384" },
  { name: "ecdsa 521 (OpenSSH)", args: ["-t", "ecdsa", "-b", "521"], type: "ecdsa-sha2-nistp521" },
  { name: "rsa 2048 (OpenSSH)", args: ["-t", "rsa", "-b", "2048"], type: "ssh-rsa" },
  ...["PEM", "PKCS8"].flatMap((m) => [
    {
      name: `ecdsa 256 (${m})`,
      args: ["-t", "ecdsa", "-b", "256", "-m", m],
      type: "ecdsa-sha2-nistp256",
    },
    {
      name: `ecdsa 384 (${m})`,
      args: ["-t", "ecdsa", "-b", "384", "-m", m],
      type: "ecdsa-sha2-nistp384",
    },
    {
      name: `ecdsa 521 (${m})`,
      args: ["-t", "ecdsa", "-b", "521", "-m", m],
      type: "ecdsa-sha2-nistp521",
    },
    { name: `rsa 2048 (${m})`, args: ["-t", "rsa", "-b", "2048", "-m", m], type: "ssh-rsa" },
  ]),
  {
    name: "ed25519 (OpenSSH, passphrase)",
    args: ["-t", "ed25519"],
    type: "ssh-ed25519",
    passphrase: PHRASE,
  },
  {
    name: "rsa 2048 (OpenSSH, passphrase)",
    args: ["-t", "rsa", "-b", "2048"],
    type: "ssh-rsa",
    passphrase: PHRASE,
  },
  // Encrypted PEM: ssh2 alone cannot sign with these on Deno (see keys.ts).
  {
    name: "rsa 2048 (PEM, passphrase)",
    args: ["-t", "rsa", "-b", "2048", "-m", "PEM"],
    type: "ssh-rsa",
    passphrase: PHRASE,
  },
  {
    name: "ecdsa 384 (PEM, passphrase)",
    args: ["-t", "ecdsa", "-b", "384", "-m", "PEM"],
    type: "ecdsa-sha2-nistp384",
    passphrase: PHRASE,
  },
].map((c, i) => ({ ...c, file: keygen(`k${i}`, c.args, c.passphrase ?? "") }));

const read = (file: string) => Deno.readTextFileSync(file);
const pubBlob = (file: string) => Uint8Array.fromBase64(read(file + ".pub").split(" ")[1]!);

/** The algorithm name and the signature inside an SSH signature blob. */
function openSig(blob: Uint8Array): [string, Uint8Array] {
  const r = new SshReader(blob);
  const out: [string, Uint8Array] = [r.text(), r.string()];
  assert.equal(r.remaining, 0);
  return out;
}

/** mpint r, mpint s as the DER SEQUENCE of two INTEGERs that ssh2 (node:crypto) verifies. */
function derSig(inner: Uint8Array): Uint8Array {
  const r = new SshReader(inner);
  const ints = [r.string(), r.string()].map((b) => {
    // mpint bodies are already minimal two's complement, which is DER's INTEGER too.
    return [0x02, ...derLen(b.length), ...b];
  });
  const body = ints.flat();
  return new Uint8Array([0x30, ...derLen(body.length), ...body]);
}
function derLen(n: number): number[] {
  return n < 0x80 ? [n] : [0x81, n];
}

const ssh2Hash: Record<string, string | undefined> = {
  "ssh-ed25519": undefined,
  "ecdsa-sha2-nistp256": "sha256",
  "ecdsa-sha2-nistp384": "sha384",
  "ecdsa-sha2-nistp521": "sha512",
  "rsa-sha2-512": "sha512",
  "rsa-sha2-256": "sha256",
  "ssh-rsa": "sha1",
};

/** ssh2's (node:crypto's) opinion of a signature, as an independent check. */
function ssh2Verifies(pubText: string, algorithm: string, data: Uint8Array, sig: Uint8Array) {
  const pub = parseKey(pubText);
  if (pub instanceof Error || Array.isArray(pub)) throw new Error("ssh2 cannot read the key");
  const raw = algorithm.startsWith("ecdsa-") ? derSig(sig) : sig;
  return pub.verify(data, raw, ssh2Hash[algorithm]) === true;
}

function flipped(b: Uint8Array, at: number): Uint8Array {
  const c = b.slice();
  c[at]! ^= 0x01;
  return c;
}

async function rejects(p: Promise<unknown>, message: string | RegExp) {
  await assert.rejects(p, (e: unknown) => {
    assert.ok(e instanceof KeyError, `a KeyError, not ${e}`);
    if (typeof message === "string") assert.equal(e.message, message);
    else assert.match(e.message, message);
    return true;
  });
}

const NOT_USABLE = /^Not a private key the SFTP backend can use: \S/;

for (const c of cases) {
  Deno.test(`keys: ${c.name} parses, signs, and its signatures verify`, async () => {
    const key: UserKey = await parsePrivateKey(read(c.file), c.passphrase);
    assert.equal(key.type, c.type);
    assert.deepEqual(key.publicBlob, pubBlob(c.file));
    assert.deepEqual(
      key.algorithms,
      c.type === "ssh-rsa" ? rsaAlgorithms : [c.type],
    );
    const pubText = read(c.file + ".pub");
    for (const algorithm of key.algorithms) {
      const data = crypto.getRandomValues(new Uint8Array(64));
      const blob = await key.sign(algorithm, data);
      const [name, sig] = openSig(blob);
      assert.equal(name, algorithm);
      assert.ok(ssh2Verifies(pubText, algorithm, data, sig), `ssh2 verifies ${algorithm}`);
      assert.ok(await verifyHostSignature(algorithm, key.publicBlob, blob, data), algorithm);
      // A changed message, a changed signature.
      assert.equal(
        await verifyHostSignature(algorithm, key.publicBlob, blob, flipped(data, 7)),
        false,
      );
      assert.equal(
        await verifyHostSignature(algorithm, key.publicBlob, flipped(blob, blob.length - 5), data),
        false,
      );
      // Truncated or extended blobs are false, not an exception.
      for (const cut of [1, 5, blob.length - 4]) {
        assert.equal(
          await verifyHostSignature(algorithm, key.publicBlob, blob.subarray(0, cut), data),
          false,
        );
      }
      const k: Uint8Array = key.publicBlob;
      assert.equal(
        await verifyHostSignature(algorithm, k.subarray(0, k.length - 1), blob, data),
        false,
      );
      assert.equal(await verifyHostSignature(algorithm, k.subarray(0, 3), blob, data), false);
      const longer = new Uint8Array([...blob, 0]);
      assert.equal(await verifyHostSignature(algorithm, k, longer, data), false);
      // Negotiated another algorithm than the signature says; the signature relabelled.
      for (const other of HOST_KEY_ALGORITHMS.filter((a) => a !== algorithm)) {
        assert.equal(await verifyHostSignature(other, k, blob, data), false, other);
        const relabelled = new SshWriter().string(other).string(sig).finish();
        assert.equal(await verifyHostSignature(other, k, relabelled, data), false, other);
      }
    }
    await assert.rejects(key.sign("ssh-dss", new Uint8Array(1)), KeyError);
  });

  Deno.test(`keys: ${c.name} fingerprint is ssh-keygen's`, async () => {
    const printed = run("ssh-keygen", ["-l", "-E", "sha256", "-f", c.file + ".pub"]).split(" ")[1];
    assert.equal(await fingerprintSHA256(pubBlob(c.file)), printed);
  });
}

Deno.test("keys: HOST_KEY_ALGORITHMS, best first", () => {
  assert.deepEqual(HOST_KEY_ALGORITHMS, [
    "ssh-ed25519",
    "ecdsa-sha2-nistp256",
    "ecdsa-sha2-nistp384",
    "ecdsa-sha2-nistp521",
    "rsa-sha2-512",
    "rsa-sha2-256",
    "ssh-rsa",
  ]);
});

Deno.test("keys: encrypted keys without or with a wrong passphrase", async () => {
  for (const c of cases.filter((c) => c.passphrase)) {
    await rejects(parsePrivateKey(read(c.file)), "The key needs a passphrase");
    await rejects(parsePrivateKey(read(c.file), "not it"), "The passphrase is wrong");
  }
});

Deno.test("keys: text that is not a usable private key", async () => {
  await rejects(parsePrivateKey("hello, world"), NOT_USABLE);
  await rejects(parsePrivateKey(""), NOT_USABLE);
  const ed = cases[0]!.file;
  await rejects(parsePrivateKey(read(ed + ".pub")), /public key/);
  // A damaged OpenSSH key: the first check-int changed. Its offset: magic (15), "none" twice
  // (8 + 8), empty kdf options (4), the key count (4), the public blob (4 + 51), the private
  // section's length (4).
  const bin = Uint8Array.fromBase64(read(ed).replace(/-----[^-]+-----|\s/g, ""));
  const body = (b: Uint8Array) =>
    `-----BEGIN OPENSSH PRIVATE KEY-----\n${b.toBase64()}\n-----END OPENSSH PRIVATE KEY-----\n`;
  await parsePrivateKey(body(bin)); // unchanged, it parses
  await rejects(parsePrivateKey(body(flipped(bin, 98))), /damaged/);
  // The public key in the private section differs from the one in front.
  await rejects(parsePrivateKey(body(flipped(bin, 98 + 8 + 4 + 11 + 4 + 3))), /damaged/);
  await rejects(parsePrivateKey(body(bin.subarray(0, 120))), /damaged/);
  // A DSA key: ssh2 reads it, this backend does not sign with it.
  const dsa = keygen("dsa", ["-t", "dsa"]);
  await rejects(parsePrivateKey(read(dsa)), /DSA keys are not supported/);
  // ssh2 needs node:crypto's P-521 ECDH for encrypted PEM P-521 keys, which Deno lacks: a
  // KeyError that says how to convert the key, not a crash.
  const p521 = keygen("p521", ["-t", "ecdsa", "-b", "521", "-m", "PEM"], PHRASE);
  await rejects(parsePrivateKey(read(p521), PHRASE), /ssh-keygen -p/);
  // A passphrase given for an unencrypted key is not needed, and no error.
  assert.equal((await parsePrivateKey(read(ed), "unused")).type, "ssh-ed25519");
});

Deno.test("keys: a host key of the wrong type, or a malformed one, is false", async () => {
  const ed = await parsePrivateKey(read(cases[0]!.file));
  const rsa = await parsePrivateKey(read(cases[4]!.file));
  const data = new Uint8Array(32);
  const edSig = await ed.sign("ssh-ed25519", data);
  const rsaSig = await rsa.sign("rsa-sha2-256", data);
  assert.ok(await verifyHostSignature("ssh-ed25519", ed.publicBlob, edSig, data));
  assert.equal(await verifyHostSignature("ssh-ed25519", rsa.publicBlob, edSig, data), false);
  assert.ok(await verifyHostSignature("rsa-sha2-256", rsa.publicBlob, rsaSig, data));
  assert.equal(await verifyHostSignature("rsa-sha2-256", ed.publicBlob, rsaSig, data), false);
  assert.equal(await verifyHostSignature("ssh-dss", ed.publicBlob, edSig, data), false);
  assert.equal(await verifyHostSignature("ssh-ed25519", new Uint8Array(0), edSig, data), false);
  assert.equal(
    await verifyHostSignature("ssh-ed25519", ed.publicBlob, new Uint8Array(0), data),
    false,
  );
  // A length field claiming more than there is.
  const huge = new Uint8Array([0xff, 0xff, 0xff, 0xff, 1, 2, 3]);
  assert.equal(await verifyHostSignature("rsa-sha2-256", huge, huge, data), false);
});

// Whether the lazy path stays lazy. A subprocess (fresh module graph) runs with an import map
// sending "ssh2/" to a stub package whose key parser sets a global flag when evaluated: that
// flag shows exactly whether keys.ts imported ssh2's parser, and so whether ssh2 and Node's
// layer it needs were loaded (keys.ts itself imports nothing else but ./wire.ts; the static
// graph is checked below). Deno 2 defines `process` and `Buffer` in every program, so they
// tell nothing, and /proc/self/maps lists no JavaScript modules.
Deno.test("keys: unencrypted keys do not load ssh2; an encrypted PEM key does", () => {
  const stub = join(dir, "stub");
  Deno.mkdirSync(join(stub, "ssh2", "lib", "protocol"), { recursive: true });
  Deno.writeTextFileSync(
    join(stub, "ssh2", "lib", "protocol", "keyParser.js"),
    `globalThis.ssh2KeyParserLoaded = true;
export function parseKey() { return new Error("Unsupported key format"); }\n`,
  );
  Deno.writeTextFileSync(
    join(stub, "deno.json"),
    JSON.stringify({ imports: { "ssh2/": "./ssh2/" } }),
  );
  const keysUrl = new URL("./keys.ts", import.meta.url).href;
  const script = `
    import { parsePrivateKey } from ${JSON.stringify(keysUrl)};
    await parsePrivateKey(Deno.readTextFileSync(Deno.args[0])).catch(() => {});
    console.log(globalThis.ssh2KeyParserLoaded === true ? "loaded" : "not loaded");`;
  const loads = (file: string) =>
    run(Deno.execPath(), [
      "eval",
      "--no-lock",
      "--config",
      join(stub, "deno.json"),
      script,
      file,
    ]).trim();
  assert.equal(loads(cases[0]!.file), "not loaded"); // ed25519, OpenSSH
  assert.equal(loads(cases[4]!.file), "not loaded"); // rsa, OpenSSH
  for (
    const name of ["rsa 2048 (PKCS8)", "ecdsa 521 (PKCS8)", "rsa 2048 (PEM)", "ecdsa 384 (PEM)"]
  ) {
    assert.equal(loads(cases.find((c) => c.name === name)!.file), "not loaded", name);
  }
  // The control: an encrypted PEM key goes to the (stub) parser, and the flag shows it.
  assert.equal(loads(cases.find((c) => c.name === "rsa 2048 (PEM, passphrase)")!.file), "loaded");

  // And keys.ts imports, statically, nothing but ./wire.ts, which imports nothing.
  const info = JSON.parse(run(Deno.execPath(), ["info", "--json", keysUrl])) as {
    modules: { specifier: string; dependencies?: { specifier: string; isDynamic?: boolean }[] }[];
  };
  const deps = (spec: string) =>
    (info.modules.find((m) => m.specifier === spec)?.dependencies ?? [])
      .filter((d) => !d.isDynamic).map((d) => d.specifier);
  assert.deepEqual(deps(keysUrl), ["./wire.ts"]);
  assert.deepEqual(deps(new URL("./wire.ts", import.meta.url).href), []);
});

Deno.test("keys: clean up", () => Deno.removeSync(dir, { recursive: true }));
