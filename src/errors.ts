// Errors thrown for programmer or configuration faults. Problems with scanned targets are
// never thrown: they are recorded as data (a status and an error on the observation).
// Match on `code`, not on the message.

export class ScannerError extends Error {
  constructor(
    message: string,
    readonly code: string,
    options?: { cause?: unknown },
  ) {
    super(message, options);
    this.name = new.target.name;
  }
}

/** Bad command-line input; the CLI exits with status 2. */
export class UsageError extends ScannerError {
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, "PKISCOPE_USAGE", options);
  }
}

/** The store is missing, from a newer version, or has no such run. */
export class StoreError extends ScannerError {
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, "PKISCOPE_STORE", options);
  }
}

/** A database the store kept trying through its retry budget, still lost or refusing sessions; the message names it. */
export class StoreUnreachableError extends StoreError {}

/** A report or other output file could not be written (a full disk, a read-only directory); the CLI exits with status 3. */
export class OutputError extends ScannerError {
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, "PKISCOPE_OUTPUT", options);
  }
}

/** A write under a shard attempt that a later claim superseded (its scanner was presumed dead and the shard given to another). */
export class StaleShardError extends StoreError {
  constructor(runId: string, shardId: string, attempt: number) {
    super(`shard ${shardId} of run ${runId}: attempt ${attempt} was superseded by a later claim`);
  }
}
