// The one way commands open a store: `--db` is a postgres:// or postgresql:// URL (the shared
// PostgreSQL store) or a file path (the embedded SQLite store, the default). Each store is loaded
// only when asked for, so a scan into SQLite never loads the PostgreSQL driver.
import { statSync } from "node:fs";
import { StoreError } from "../errors.js";
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
  // SQLite's own words for these ("unable to open database file") name neither the cause nor the file.
  if (statSync(spec, { throwIfNoEntry: false })?.isDirectory()) throw new StoreError(`cannot open store ${spec}: it is a directory, not a SQLite file`);
  const [{ SqliteStore }, { diskFullFailure, namingSqliteFailures }] = await Promise.all([import("./sqlite-store.js"), import("./sqlite-failures.js")]);
  try {
    return namingSqliteFailures(new SqliteStore(spec), spec);
  } catch (err) {
    // A file that is not a SQLite database fails in the first pragma, past the open's own message;
    // on a full disk, creating the WAL index does.
    if (err instanceof StoreError) throw err;
    throw diskFullFailure(spec, err) ?? new StoreError(`cannot open store ${spec}: ${(err as Error).message}`, { cause: err });
  }
}
