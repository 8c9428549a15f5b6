/**
 * The Cloud Storage emulator of firebase-tools under Deno, for tests/fixtures/gcs.ts:
 * `deno run -A --config .ci/tools/deno.json gcs_emulator.ts PORT DATA_DIR`.
 *
 * `firebase emulators:start` refuses to run without Java 21 (which Debian 12 does not package),
 * although the storage emulator's Google Cloud Storage JSON API is plain JavaScript; only its
 * Firebase security rules need the Java rules runtime, and requests to the GCS API skip the rules
 * (they are served as an administrator's). So this starts the emulator's HTTP app the way the
 * command does, minus the rules runtime. firebase-tools is pinned in deno.json beside this file,
 * since these are its internal modules.
 *
 * @module
 */

import { createServer, type IncomingMessage, type ServerResponse } from "node:http";
import process from "node:process";

const [port, dataDir] = Deno.args;
if (!port || !dataDir) throw new Error("usage: gcs_emulator.ts PORT DATA_DIR");
// The emulator keeps object bodies under os.tmpdir(): the test's own folder.
Deno.env.set("TMPDIR", dataDir);
const { StorageEmulator } = await import("firebase-tools/lib/emulator/storage/index.js");
const { createApp } = await import("firebase-tools/lib/emulator/storage/server.js");
const { EmulatorRegistry } = await import("firebase-tools/lib/emulator/registry.js");

const host = "127.0.0.1";
const emulator = new StorageEmulator({
  projectId: "demo-aft",
  host,
  port: Number(port),
  rules: [],
  auto_download: false,
});
// Object metadata links are made from the registered address.
EmulatorRegistry.set("storage", emulator);
const app = await createApp("demo-aft", emulator);
// The emulator serves copyTo/rewriteTo only as /b/..., where GCS and its client use
// /storage/v1/b/... (the other object calls it serves under both).
const COPY = /^\/storage\/v1(\/b\/[^/]+\/o\/[^/]+\/(?:rewriteTo|copyTo)\/)/;
const server = createServer((req: IncomingMessage, res: ServerResponse) => {
  req.url = req.url?.replace(COPY, "$1");
  app(req, res);
});
server.listen(Number(port), host, () => console.log(`listening on ${host}:${port}`));
process.on("SIGTERM", () => process.exit(0));
