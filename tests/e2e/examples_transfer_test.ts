/**
 * The transfer examples against real servers: S3 (s3rver) relayed to OpenSSH's sshd, a CSV
 * reshaped between SFTP and S3, PGP-encrypted uploads read back by GnuPG, and a batch summary
 * posted to a chat webhook on loopback.
 */

import assert from "node:assert/strict";
import { join } from "node:path";
import { httpReceiver, needsServers, s3Admin, textOf, withExampleEnv } from "./_examples.ts";
import { startS3Server } from "../fixtures/s3server.ts";
import { startGpg } from "../fixtures/gpg.ts";
import { startSshd } from "../fixtures/sshd.ts";
import { assertSameBytes } from "../fixtures/same_bytes.ts";

Deno.test({
  name: "example s3-to-sftp-relay: objects stream to SFTP byte for byte, then move to /done",
  ignore: needsServers,
}, async () => {
  const [s3, sftp] = await Promise.all([startS3Server(), startSshd()]);
  try {
    await withExampleEnv(async (env) => {
      const bucket = await s3Admin(s3, "relay");
      const big = crypto.getRandomValues(new Uint8Array(65536)).map((b) => b);
      const bigData = new Uint8Array(24 * 1024 * 1024);
      for (let i = 0; i < bigData.length; i += big.length) bigData.set(big, i);
      await bucket.put("outgoing/a.xml", "<a/>");
      await bucket.put("outgoing/b.xml", "<b/>");
      await bucket.put("outgoing/big.xml", bigData);
      await bucket.put("outgoing/notes.txt", "not matched");
      const remote = join(sftp.dir, "relay-in");
      await Deno.mkdir(remote);
      await env.addS3("s3-outbound", s3, "relay");
      await env.addSftp("partner-sftp", sftp, remote);
      const r = await env.run("s3-to-sftp-relay", {
        from_vfs: "s3-outbound",
        from: "/outgoing/*.xml",
        to_vfs: "partner-sftp",
        to: "/incoming",
      });
      assert.equal(r.code, 0, r.stdout + r.stderr);
      assert.match(r.stdout, /relayed 3 files \(25165832 bytes\)/);
      assert.equal(await textOf(join(remote, "incoming", "a.xml")), "<a/>");
      assertSameBytes(await Deno.readFile(join(remote, "incoming", "big.xml")), bigData);
      assert.deepEqual([...Deno.readDirSync(join(remote, "incoming"))].map((e) => e.name).sort(), [
        "a.xml",
        "b.xml",
        "big.xml",
      ]);
      // (The S3 backend marks a folder it makes with an empty "done/" object.)
      assert.deepEqual((await bucket.keys()).filter((k) => !k.endsWith("/")), [
        "done/a.xml",
        "done/b.xml",
        "done/big.xml",
        "outgoing/notes.txt",
      ]);
      assertSameBytes(await bucket.get("done/big.xml"), bigData);

      // A destination that is down: the job fails clearly and the objects stay put.
      await bucket.put("outgoing/c.xml", "<c/>");
      await env.addVfs("down-sftp", "sftp", `sftp://nobody@127.0.0.1:1/in`, { pass: "x" });
      const bad = await env.run("s3-to-sftp-relay", {
        from_vfs: "s3-outbound",
        from: "/outgoing/*.xml",
        to_vfs: "down-sftp",
        to: "/",
      });
      assert.equal(bad.code, 1);
      assert.match(bad.stdout + bad.stderr, /relay failed: .*(refused|connect)/i);
      assert.ok((await bucket.keys()).includes("outgoing/c.xml"));
    });
  } finally {
    await Promise.all([s3.stop(), sftp.stop()]);
  }
});

const ORDERS = "\uFEFFOrderNo,Date,Customer,Amount,Status\r\n" +
  '1001,03/11/2026,"Acme, Inc.","1.234,50",SHIPPED\r\n' +
  "1002,04/11/2026,Globex,99,CANCELLED\r\n" +
  '1003,05/11/2026,"The ""Best"" Shop","12,00",SHIPPED\r\n' +
  "\r\n";

Deno.test({
  name:
    "example csv-transform: SFTP CSV reshaped into S3; the original archived; bad input writes nothing",
  ignore: needsServers,
}, async () => {
  const [s3, sftp] = await Promise.all([startS3Server(), startSshd()]);
  try {
    await withExampleEnv(async (env) => {
      const bucket = await s3Admin(s3, "warehouse");
      const erp = join(sftp.dir, "erp");
      await Deno.mkdir(join(erp, "export"), { recursive: true });
      await Deno.writeTextFile(join(erp, "export", "orders.csv"), ORDERS);
      await env.addSftp("erp-sftp", sftp, erp);
      await env.addS3("warehouse-s3", s3, "warehouse");
      const params = {
        from_vfs: "erp-sftp",
        from: "/export/orders.csv",
        to_vfs: "warehouse-s3",
        to: "/incoming/orders.csv",
      };
      const r = await env.run("csv-transform", params);
      assert.equal(r.code, 0, r.stdout + r.stderr);
      assert.match(r.stdout, /wrote 2 rows to \/incoming\/orders\.csv, left out 1/);
      assert.equal(
        new TextDecoder().decode(await bucket.get("incoming/orders.csv")),
        "order_id,order_date,amount,customer\n" +
          '1001,2026-11-03,1234.50,"Acme, Inc."\n' +
          '1003,2026-11-05,12.00,"The ""Best"" Shop"\n',
      );
      assert.equal(await textOf(join(erp, "export", "orders.csv")), undefined);
      assert.equal(await textOf(join(erp, "archive", "orders.csv")), ORDERS);

      // A file with a bad date: one clear error, nothing delivered, the source left alone.
      await Deno.writeTextFile(
        join(erp, "export", "orders.csv"),
        "OrderNo,Date,Customer,Amount,Status\n2001,2026-11-06,X,1,SHIPPED\n",
      );
      const bad = await env.run("csv-transform", { ...params, to: "/incoming/bad.csv" });
      assert.equal(bad.code, 1);
      assert.match(bad.stdout + bad.stderr, /line 2: date "2026-11-06" is not DD\/MM\/YYYY/);
      assert.ok(!(await bucket.keys()).includes("incoming/bad.csv"));
      assert.notEqual(await textOf(join(erp, "export", "orders.csv")), undefined);
    });
  } finally {
    await Promise.all([s3.stop(), sftp.stop()]);
  }
});

Deno.test({
  name: "example pgp-encrypt-upload: only encrypted copies reach SFTP and gpg decrypts them",
  ignore: needsServers,
}, async () => {
  const [sftp, gpg] = await Promise.all([startSshd(), startGpg()]);
  try {
    await withExampleEnv(async (env) => {
      await env.secret("partner-pgp-public", gpg.publicKey);
      const outbox = await env.mkdir("outbox");
      const invoice = crypto.getRandomValues(new Uint8Array(60000));
      await Deno.writeFile(join(outbox, "invoice.pdf"), invoice);
      await Deno.writeTextFile(join(outbox, "orders.csv"), "id\n1\n");
      const remote = join(sftp.dir, "pgp-in");
      await Deno.mkdir(remote);
      await env.addSftp("partner-sftp", sftp, remote);
      const r = await env.run("pgp-encrypt-upload", {
        local_dir: outbox,
        vfs: "partner-sftp",
        remote_dir: "/incoming",
      });
      assert.equal(r.code, 0, r.stdout + r.stderr);
      assert.match(r.stdout, /2 sent, 0 failed/);
      assert.deepEqual([...Deno.readDirSync(join(remote, "incoming"))].map((e) => e.name).sort(), [
        "invoice.pdf.pgp",
        "orders.csv.pgp",
      ]);
      const enc = await Deno.readFile(join(remote, "incoming", "invoice.pdf.pgp"));
      assert.notDeepEqual(enc.subarray(0, 100), invoice.subarray(0, 100));
      assert.deepEqual(await gpg.decrypt(join(remote, "incoming", "invoice.pdf.pgp")), invoice);
      assert.equal(
        new TextDecoder().decode(await gpg.decrypt(join(remote, "incoming", "orders.csv.pgp"))),
        "id\n1\n",
      );
      // Originals moved to sent/, no plaintext or leftovers in the outbox.
      assertSameBytes(await Deno.readFile(join(outbox, "sent", "invoice.pdf")), invoice);
      assert.deepEqual([...Deno.readDirSync(outbox)].filter((e) => e.isFile), []);
      assert.deepEqual([...Deno.readDirSync(join(outbox, ".encrypting"))], []);
    });
  } finally {
    await Promise.all([sftp.stop(), gpg.close()]);
  }
});

Deno.test({
  name:
    "example batch-summary-webhook: a summary reaches the webhook after success and after failure",
  ignore: needsServers,
}, async () => {
  const sftp = await startSshd();
  const hook = httpReceiver();
  try {
    await withExampleEnv(async (env) => {
      const outbox = await env.mkdir("outbox/daily");
      for (const n of [1, 2, 3]) {
        await Deno.writeTextFile(join(outbox, `sales-${n}.csv`), "x".repeat(1000 * n));
      }
      await Deno.writeTextFile(join(outbox, "readme.txt"), "not sent");
      const remote = join(sftp.dir, "batch-in");
      await Deno.mkdir(remote);
      await env.addVfs("outbox", "disk", join(env.dir, "outbox"));
      await env.addSftp("partner-sftp", sftp, remote);
      await env.secret("chat-webhook-url", `${hook.url}/hooks/T000/B000`);
      const params = {
        from_vfs: "outbox",
        from: "/daily/*.csv",
        to_vfs: "partner-sftp",
        to: "/in",
      };
      const r = await env.run("batch-summary-webhook", params);
      assert.equal(r.code, 0, r.stdout + r.stderr);
      assert.equal(hook.received.length, 1);
      const msg = hook.received[0]!;
      assert.equal(msg.method, "POST");
      assert.equal(msg.path, "/hooks/T000/B000");
      assert.equal(msg.headers.get("content-type"), "application/json");
      const text = JSON.parse(msg.body).text as string;
      assert.match(
        text,
        /^:white_check_mark: Batch outbox:\/daily\/\*\.csv → partner-sftp:\/in done/,
      );
      assert.match(text, /Sent 3 files \(5\.9 KiB\), 0 already there/);
      assert.equal(await textOf(join(remote, "in", "sales-3.csv")), "x".repeat(3000));
      // The webhook URL is a secret: not in the job's log.
      assert.doesNotMatch(r.stdout + r.stderr, /hooks\/T000/);

      // Again, with the destination down: a failure summary, exit 1.
      await env.addVfs("down-sftp", "sftp", "sftp://nobody@127.0.0.1:1/in", { pass: "x" });
      const bad = await env.run("batch-summary-webhook", { ...params, to_vfs: "down-sftp" });
      assert.equal(bad.code, 1);
      assert.equal(hook.received.length, 2);
      const failText = JSON.parse(hook.received[1]!.body).text as string;
      assert.match(failText, /^:x: Batch .* FAILED/);
      assert.match(failText, /Error: .*(refused|connect)/i);
    });
  } finally {
    await hook.close();
    await sftp.stop();
  }
});
