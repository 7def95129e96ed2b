/** True for SQLite's "database is locked": another process sharing a local KV file is writing. */
export function isLocked(error: unknown): boolean {
  return String((error as Error)?.message).includes("database is locked");
}

/**
 * Runs a Deno KV operation, waiting briefly and trying again while another process holds SQLite's write lock.
 * Only several processes on one local database file meet this; a remote or Deploy database never does.
 */
export async function whenUnlocked<T>(operation: () => Promise<T>): Promise<T> {
  for (let attempt = 1;; attempt++) {
    try {
      return await operation();
    } catch (error) {
      if (attempt >= 20 || !isLocked(error)) throw error;
      await new Promise((resolve) => setTimeout(resolve, attempt * 2));
    }
  }
}
