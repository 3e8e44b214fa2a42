// A PostgreSQL store outlives a short loss of its database (a restart, a failover, a dropped
// connection): work that failed because the connection was lost is tried again with a growing
// pause, then reported as one StoreError naming the database. Other errors are not retried.
import { StoreUnreachableError } from "../errors.js";

/** Pauses before each retry: about 12 s in all, enough for a restart, short enough to report a database that is gone. */
export const RETRY_DELAYS_MS: readonly number[] = [250, 500, 1000, 2000, 4000, 4000];

/**
 * SQLSTATEs of a lost or refused connection (class 08, and the server shutting down or starting:
 * 57P01-57P03), and the socket errors of one.
 */
const CONNECTION_CODES = new Set([
  "08000", "08001", "08003", "08004", "08006", "57P01", "57P02", "57P03",
  "ECONNRESET", "ECONNREFUSED", "EPIPE", "ETIMEDOUT", "EHOSTUNREACH", "ENETUNREACH",
]);
/** node-postgres reports a connection that ended, or one it could not get in time, without a code. */
const CONNECTION_MESSAGES = /Connection terminated|connection error and is not queryable|timeout exceeded when trying to connect/i;

/** The SQLSTATE or socket error code node-postgres put on `err`, if any. */
function codeOf(err: Error): string | undefined {
  const code = (err as { code?: unknown }).code;
  return typeof code === "string" ? code : undefined;
}

/** The server is up but not yet taking sessions (SQLSTATE 57P03: starting up, or recovering after a crash). */
export function isStartingUp(err: unknown): boolean {
  return err instanceof Error && codeOf(err) === "57P03";
}

export function isConnectionLoss(err: unknown): boolean {
  if (!(err instanceof Error)) return false;
  const code = codeOf(err);
  return (code !== undefined && CONNECTION_CODES.has(code)) || CONNECTION_MESSAGES.test(err.message);
}

/**
 * Runs `attempt` until it succeeds, retrying after each connection loss with the pauses of
 * `delaysMs` (or after each error `retryable` accepts). A loss past the last pause is a
 * StoreUnreachableError naming `shown` (the database, no password).
 */
export async function retryingConnectionLoss<T>(
  shown: string,
  attempt: () => Promise<T>,
  delaysMs = RETRY_DELAYS_MS,
  retryable: (err: unknown) => boolean = isConnectionLoss,
): Promise<T> {
  const started = Date.now();
  for (let retry = 0; ; retry++) {
    try {
      return await attempt();
    } catch (err) {
      if (!retryable(err)) throw err;
      if (retry >= delaysMs.length) {
        const seconds = Math.round((Date.now() - started) / 1000);
        throw new StoreUnreachableError(
          `store ${shown}: the database is unreachable (connection lost, ${retry + 1} attempts over ${seconds} s: ${(err as Error).message}); what was written before is kept`,
          { cause: err },
        );
      }
      await new Promise((resolve) => setTimeout(resolve, delaysMs[retry]));
    }
  }
}
