import { MemoryVfs } from "../../src/vfs/memory/memory.ts";
import { conformance } from "./conformance.ts";

conformance(
  "memory",
  () => Promise.resolve({ vfs: new MemoryVfs(), cleanup: () => Promise.resolve() }),
);
