/**
 * npm `ssh2`, loaded with the fast AES of `./ciphers.ts`.
 *
 * ssh2 takes `createCipheriv`/`createDecipheriv` from `node:crypto` when it loads. Evaluating
 * `./ciphers.ts` (imported first) puts the fast ones in `node:crypto`; once ssh2 is loaded, they
 * are taken out again, so nothing else in the process sees them. The SFTP backend imports ssh2
 * only through this module.
 *
 * @module
 */

import { restoreNodeCiphers } from "./ciphers.ts";
import ssh2 from "ssh2";

restoreNodeCiphers();

export default ssh2;
export type { AuthenticationType, CipherAlgorithm, Client, SFTPWrapper, Stats } from "ssh2";
