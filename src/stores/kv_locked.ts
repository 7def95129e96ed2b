/** True for SQLite's "database is locked": another process sharing a local KV file is writing. */
export function isLocked(error: unknown): boolean {
  return String((error as Error)?.message).includes("database is locked");
}

/** How long an operation may wait for another process's write lock before it counts as a store failure. */
export const LOCK_WAIT_MS = 1_000;

/**
 * Runs a Deno KV operation, trying again while another process holds SQLite's write lock, for up to
 * `LOCK_WAIT_MS`. Only several processes on one local database file meet this; a remote or Deploy database
 * never does. Waiting rather than giving up keeps a busy moment from looking like an outage.
 */
export async function whenUnlocked<T>(operation: () => Promise<T>): Promise<T> {
  const started = performance.now();
  for (let attempt = 1;; attempt++) {
    try {
      return await operation();
    } catch (error) {
      if (!isLocked(error) || performance.now() - started > LOCK_WAIT_MS) throw error;
      // Jitter keeps processes that met the lock together from meeting it together again.
      await new Promise((resolve) => setTimeout(resolve, Math.random() * Math.min(50, attempt * 2)));
    }
  }
}
