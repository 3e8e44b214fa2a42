// The one way commands open a store: `--db` is a postgres:// or postgresql:// URL (the shared
// PostgreSQL store) or a file path (the embedded SQLite store, the default). Each store is loaded
// only when asked for, so a scan into SQLite never loads the PostgreSQL driver.
import type { Store } from "./store.js";

const POSTGRES_URL = /^postgres(ql)?:\/\//i;

export function isPostgresSpec(spec: string): boolean {
  return POSTGRES_URL.test(spec);
}

/**
 * The store spec as it may be shown (errors, logs): a URL without its password. Anything that
 * does not parse as a URL is shown as `postgres://…`, since it could hold one anywhere.
 */
export function displayStoreSpec(spec: string): string {
  if (!isPostgresSpec(spec)) return spec;
  try {
    const url = new URL(spec);
    if (url.password) url.password = "***";
    // A password may also be a query parameter (libpq's password=...).
    for (const key of [...url.searchParams.keys()]) if (key.toLowerCase() === "password") url.searchParams.set(key, "***");
    return url.toString();
  } catch {
    return "postgres://…";
  }
}

export async function openStore(spec: string): Promise<Store> {
  if (isPostgresSpec(spec)) {
    const { PgStore } = await import("./pg-store.js");
    return PgStore.open(spec, displayStoreSpec(spec));
  }
  const { SqliteStore } = await import("./sqlite-store.js");
  return new SqliteStore(spec);
}
