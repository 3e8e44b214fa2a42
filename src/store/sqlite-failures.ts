// SQLite's failures as the store's: one StoreError naming the store's file, and saying so when
// the disk holding it is full, so a scan stops with one clear line instead of a driver's stack.
import { statfsSync } from "node:fs";
import { dirname } from "node:path";
import Database from "better-sqlite3";
import { StoreError } from "../errors.js";
import type { Store } from "./store.js";

/** A StoreError saying the disk is full, when `err` is SQLite failing for want of space; otherwise null. */
export function diskFullFailure(path: string, err: unknown): StoreError | null {
  if (!(err instanceof Database.SqliteError)) return null;
  // A full disk is SQLITE_FULL when a page cannot be written, but an I/O error (SQLITE_IOERR_SHMSIZE,
  // _WRITE) when the WAL or its index cannot grow: the filesystem tells which.
  if (err.code !== "SQLITE_FULL" && !(err.code.startsWith("SQLITE_IOERR") && diskFull(path))) return null;
  return new StoreError(
    `store ${path}: the disk holding it is full (${err.code}); the runs stored before are intact: free space and scan again`,
    { cause: err },
  );
}

/** `err` as the store's error if SQLite raised it; anything else unchanged. */
export function sqliteFailure(path: string, err: unknown): unknown {
  if (!(err instanceof Database.SqliteError)) return err;
  return diskFullFailure(path, err) ?? new StoreError(`store ${path}: ${err.message} (${err.code})`, { cause: err });
}

/** The store with every SQLite failure of its methods thrown as sqliteFailure's StoreError. */
export function namingSqliteFailures<S extends Store>(store: S, path: string): S {
  return new Proxy(store, {
    get(target, key, receiver) {
      const value: unknown = Reflect.get(target, key, receiver);
      if (typeof value !== "function") return value;
      return async (...args: unknown[]) => {
        try {
          return await (value as (...a: unknown[]) => Promise<unknown>).apply(target, args);
        } catch (err) {
          throw sqliteFailure(path, err);
        }
      };
    },
  });
}

function diskFull(path: string): boolean {
  try {
    return statfsSync(dirname(path)).bavail === 0;
  } catch {
    return false;
  }
}
