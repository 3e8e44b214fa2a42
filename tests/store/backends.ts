// The two stores the store tests run against, through the factory every command uses (openStore):
// SQLite in a file of a temporary directory, and PostgreSQL in a database of its own on the
// run's private server (tests/postgres/global-setup.ts). `sql` reaches the store's tables
// directly for what the API cannot do (building an old schema, tampering with a row), with `?`
// placeholders in either dialect.
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import Database from "better-sqlite3";
import pg from "pg";
import { afterAll } from "vitest";
import { openStore } from "../../src/store/open.js";
import type { Store } from "../../src/store/store.js";
import { freshDatabase } from "../postgres/database.js";

export interface StoreBackend {
  name: "sqlite" | "postgres";
  /** A new, empty store's --db spec (a path or a URL); `label` names it. */
  newSpec(label: string): Promise<string>;
  open(spec: string): Promise<Store>;
  /** Runs statements on the store's database outside the store. */
  sql(spec: string, statements: readonly { text: string; params?: readonly unknown[] }[]): Promise<unknown[][]>;
}

const sqliteDir = mkdtempSync(join(tmpdir(), "pkiscope-store-backend-"));
afterAll(() => rmSync(sqliteDir, { recursive: true, force: true }));

const dollarPlaceholders = (text: string): string => {
  let n = 0;
  return text.replace(/\?/g, () => `$${++n}`);
};

export const STORE_BACKENDS: readonly StoreBackend[] = [
  {
    name: "sqlite",
    newSpec: async (label) => join(sqliteDir, `${label}.db`),
    open: openStore,
    sql: async (spec, statements) => {
      const db = new Database(spec);
      try {
        return statements.map((s) => {
          const statement = db.prepare(s.text);
          return statement.reader ? statement.all(...(s.params ?? [])) : (statement.run(...(s.params ?? [])), []);
        });
      } finally {
        db.close();
      }
    },
  },
  {
    name: "postgres",
    newSpec: freshDatabase,
    open: openStore,
    sql: async (spec, statements) => {
      const client = new pg.Client({ connectionString: spec });
      await client.connect();
      try {
        const results: unknown[][] = [];
        for (const s of statements) results.push((await client.query(dollarPlaceholders(s.text), [...(s.params ?? [])])).rows);
        return results;
      } finally {
        await client.end();
      }
    },
  },
];
