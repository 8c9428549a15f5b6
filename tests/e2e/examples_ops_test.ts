/**
 * The operations examples against real servers: a stale-file alert mailed through a real SMTP
 * server on loopback, old files purged from a vsftpd archive, and a health monitor over SFTP,
 * FTP, S3, a dead server and HTTP endpoints, reporting to a receiver on loopback.
 */

import assert from "node:assert/strict";
import { join } from "node:path";
import { httpReceiver, needsServers, s3Admin, withExampleEnv } from "./_examples.ts";
import { startS3Server } from "../fixtures/s3server.ts";
import { startSmtp } from "../fixtures/smtp.ts";
import { startSshd } from "../fixtures/sshd.ts";
import { startVsftpd } from "../fixtures/vsftpd.ts";

const HOUR = 3600_000;
const DAY = 24 * HOUR;

Deno.test({
  name:
    "example stale-file-alert: no mail for a fresh file; one clear mail for a stale or missing one",
  ignore: needsServers,
}, async () => {
  const [sftp, smtp] = await Promise.all([startSshd(), startSmtp({ tls: "none" })]);
  try {
    await withExampleEnv(async (env) => {
      const feeds = join(sftp.dir, "stale", "feeds");
      await Deno.mkdir(feeds, { recursive: true });
      const file = join(feeds, "prices.csv");
      await Deno.writeTextFile(file, "sku,price\n");
      await env.addSftp("partner-sftp", sftp, join(sftp.dir, "stale"));
      await env.setting("smtp.host", "127.0.0.1");
      await env.setting("smtp.port", String(smtp.port));
      await env.setting("smtp.tls", "none");
      await env.setting("smtp.from", "aft@example.com");
      const params = {
        vfs: "partner-sftp",
        path: "/feeds/prices.csv",
        max_age_minutes: "90",
        alert_to: "ops@example.com, feeds@example.com",
      };

      const fresh = await env.run("stale-file-alert", params);
      assert.equal(fresh.code, 0, fresh.stdout + fresh.stderr);
      assert.match(fresh.stdout, /is fresh \(0 minutes old\)/);
      assert.equal(smtp.messages.length, 0);

      const threeHoursAgo = new Date(Date.now() - 3 * HOUR);
      await Deno.utime(file, threeHoursAgo, threeHoursAgo);
      const stale = await env.run("stale-file-alert", params);
      assert.equal(stale.code, 1);
      assert.match(stale.stdout + stale.stderr, /was last updated 180 minutes ago/);
      assert.equal(smtp.messages.length, 1);
      const m = smtp.messages[0]!;
      assert.equal(m.from, "aft@example.com");
      assert.deepEqual(m.to.sort(), ["feeds@example.com", "ops@example.com"]);
      assert.equal(m.mail.subject, "[aft] stale file partner-sftp:/feeds/prices.csv");
      assert.match(m.mail.text ?? "", /more than the allowed 90 minutes/);

      await Deno.remove(file);
      const missing = await env.run("stale-file-alert", params);
      assert.equal(missing.code, 1);
      assert.equal(smtp.messages.length, 2);
      assert.match(
        smtp.messages[1]!.mail.text ?? "",
        /cannot be checked: .*(no such|not found|does not exist)/i,
      );
    });
  } finally {
    await Promise.all([sftp.stop(), smtp.close()]);
  }
});

Deno.test({
  name: "example purge-old-files: a dry run removes nothing; the real run removes only old files",
  ignore: needsServers,
}, async () => {
  const ftp = await startVsftpd({ tls: "explicit" });
  try {
    await withExampleEnv(async (env) => {
      const archive = join(ftp.dir, "archive");
      await Deno.mkdir(join(archive, "2026", "09"), { recursive: true });
      await Deno.mkdir(join(archive, "2026", "11"), { recursive: true });
      const files: Record<string, number> = {
        "2026/09/old-a.csv": 45,
        "2026/09/old-b.csv": 31,
        "2026/11/new-a.csv": 2,
        "recent.csv": 29,
      };
      for (const [rel, days] of Object.entries(files)) {
        const p = join(archive, rel);
        await Deno.writeTextFile(p, rel);
        const t = new Date(Date.now() - days * DAY);
        await Deno.utime(p, t, t);
      }
      // The FTP account deletes as itself: it owns the archive.
      await new Deno.Command("chown", { args: ["-R", ftp.user, archive] }).output();
      await env.addFtp("archive-ftp", ftp, ftp.dir);
      const params = { vfs: "archive-ftp", dir: "/archive", days: "30" };
      const listRemaining = () =>
        Object.keys(files).filter((rel) => {
          try {
            Deno.statSync(join(archive, rel));
            return true;
          } catch {
            return false;
          }
        });

      const dry = await env.run("purge-old-files", { ...params, dry_run: "true" });
      assert.equal(dry.code, 0, dry.stdout + dry.stderr);
      assert.match(dry.stdout, /dry run: would remove 2 of 4 files older than 30 days/);
      assert.deepEqual(listRemaining(), Object.keys(files));

      const real = await env.run("purge-old-files", params);
      assert.equal(real.code, 0, real.stdout + real.stderr);
      assert.match(real.stdout, /removed \/archive\/2026\/09\/old-a\.csv/);
      assert.match(real.stdout, /removed 2 of 4 files older than 30 days, 34 bytes/);
      assert.deepEqual(listRemaining(), ["2026/11/new-a.csv", "recent.csv"]);

      const bad = await env.run("purge-old-files", { ...params, days: "soon" });
      assert.equal(bad.code, 1);
      assert.match(bad.stdout + bad.stderr, /days must be a number above 0, got "soon"/);
    });
  } finally {
    await ftp.stop();
  }
});

Deno.test({
  name:
    "example health-monitor: every VFS of the library and an HTTP endpoint checked, one report posted",
  ignore: needsServers,
}, async () => {
  const [sftp, ftp, s3] = await Promise.all([
    startSshd(),
    startVsftpd({ tls: "explicit" }),
    startS3Server(),
  ]);
  const monitor = httpReceiver((req) =>
    new URL(req.url).pathname === "/down" ? new Response("no", { status: 503 }) : new Response("ok")
  );
  try {
    await withExampleEnv(async (env) => {
      await s3Admin(s3, "health");
      await env.addVfs("local-disk", "disk", await env.mkdir("disk"));
      await env.addSftp("partner-sftp", sftp, sftp.dir);
      await env.addFtp("legacy-ftp", ftp, ftp.dir);
      await env.addS3("archive-s3", s3, "health");
      await env.addVfs("old-server", "sftp", "sftp://nobody@127.0.0.1:1/", { pass: "x" });
      await env.secret("monitor-token", "mon-7f3a");

      const all = await env.run("health-monitor", {
        http_url: `${monitor.url}/health`,
        report_url: `${monitor.url}/report`,
        report_token_secret: "monitor-token",
      });
      assert.equal(all.code, 1, all.stdout + all.stderr);
      assert.match(all.stdout + all.stderr, /DOWN vfs old-server: /);
      const reports = monitor.received.filter((r) => r.path === "/report");
      assert.equal(reports.length, 1);
      assert.equal(reports[0]!.headers.get("authorization"), "Bearer mon-7f3a");
      const report = JSON.parse(reports[0]!.body);
      assert.equal(report.healthy, false);
      assert.deepEqual(
        report.checks.map((
          c: { kind: string; name: string; ok: boolean },
        ) => [c.kind, c.name, c.ok]),
        [
          ["vfs", "archive-s3", true],
          ["vfs", "legacy-ftp", true],
          ["vfs", "local-disk", true],
          ["vfs", "old-server", false],
          ["vfs", "partner-sftp", true],
          ["http", `${monitor.url}/health`, true],
        ],
      );
      assert.equal(report.up, 5);
      assert.equal(report.down, 1);

      // Only the healthy ones, and an endpoint that answers 503.
      const some = await env.run("health-monitor", {
        only: "partner-sftp, archive-s3",
        http_url: `${monitor.url}/down`,
        report_url: `${monitor.url}/report`,
      });
      assert.equal(some.code, 1);
      assert.match(some.stdout + some.stderr, /DOWN http .*\/down: HTTP 503/);
      const second = JSON.parse(monitor.received.filter((r) => r.path === "/report")[1]!.body);
      assert.deepEqual(second.checks.map((c: { ok: boolean }) => c.ok), [true, true, false]);

      const healthy = await env.run("health-monitor", {
        only: "partner-sftp,legacy-ftp",
        http_url: `${monitor.url}/health`,
      });
      assert.equal(healthy.code, 0, healthy.stdout + healthy.stderr);
      assert.match(healthy.stdout, /3 up, 0 down/);
    });
  } finally {
    await monitor.close();
    await Promise.all([sftp.stop(), ftp.stop(), s3.stop()]);
  }
});
