/**
 * Azurite's blob service under Deno: `deno run -A --config .ci/tools/deno.json azurite_blob.ts
 * ARGS` takes the arguments of `azurite-blob` (see tests/fixtures/azurite.ts).
 *
 * @module
 */

import "azurite/dist/src/blob/main.js";
