/**
 * The progress of a transfer, as one record for every layer that reports or shows it: the copy
 * engine produces it, the runner forwards it, the engine publishes it and `aft run` prints it.
 *
 * @module
 */

/** Progress of the current transfer (a CopyToVFS/MoveToVFS call, an upload, a download). */
export interface TransferProgress {
  /** Files finished so far. */
  files: number;
  /** Bytes moved so far. */
  bytes: number;
  /** Bytes per second over the run so far. */
  rate: number;
  /** The file being moved. */
  path: string;
  /** True on the last report of the transfer. */
  done: boolean;
  /** Files of the whole transfer, when known. */
  filesTotal?: number;
  /** Bytes of the whole transfer, when known. */
  bytesTotal?: number;
}
