// A store this pkiscope wrote, given to an earlier pkiscope (a baseline) to read: a copy labelled
// with the baseline's schema version. An earlier pkiscope refuses a store of a newer schema, yet
// when the newer schema is the older one plus tables and columns (as every migration so far has
// been) it reads the copy as its own, ignoring what it does not know, and both pkiscopes read the
// very same run. Whether it is only additions is checked, not assumed: each pkiscope's own
// `migrate` builds its schema in an empty database and the two are compared.
import { pathToFileURL } from "node:url";
import { rm } from "node:fs/promises";
import Database from "better-sqlite3";
import { SCHEMA_VERSION, migrate } from "../../src/store/migrations.js";

interface MigrationsModule {
  SCHEMA_VERSION: number;
  migrate(db: Database.Database): void;
}

export type BaselineStore = { path: string; note: string } | { error: string };

/**
 * Copies `db` to `copy` for the pkiscope whose CLI is `baselineMain` (its dist/src/cli/main.js);
 * the copy is `db` itself when the baseline's schema is today's.
 */
export async function storeForBaseline(db: string, baselineMain: string, copy: string): Promise<BaselineStore> {
  const theirs = (await import(new URL("../store/migrations.js", pathToFileURL(baselineMain)).href)) as MigrationsModule;
  if (theirs.SCHEMA_VERSION === SCHEMA_VERSION) return { path: db, note: `the baseline reads the same store (schema ${SCHEMA_VERSION})` };
  const missing = schemaDifference(emptySchema(theirs.migrate), emptySchema(migrate));
  if (missing.length > 0) return { error: `schema ${SCHEMA_VERSION} is not schema ${theirs.SCHEMA_VERSION} plus tables and columns (${missing.join("; ")}): the baseline cannot read this store` };
  for (const suffix of ["", "-wal", "-shm"]) await rm(`${copy}${suffix}`, { force: true });
  const source = new Database(db, { readonly: true });
  try {
    source.prepare("VACUUM INTO ?").run(copy);
  } finally {
    source.close();
  }
  const target = new Database(copy);
  try {
    target.prepare("UPDATE meta SET value = ? WHERE key = 'schema_version'").run(String(theirs.SCHEMA_VERSION));
  } finally {
    target.close();
  }
  return {
    path: copy,
    note: `the baseline reads a copy of the store labelled schema ${theirs.SCHEMA_VERSION} (its own; schema ${SCHEMA_VERSION} only adds tables and columns, which it ignores): the same run`,
  };
}

/** Each table's columns and each index's definition, as `migrate` creates them in an empty database. */
function emptySchema(build: (db: Database.Database) => void): Map<string, string> {
  const db = new Database(":memory:");
  try {
    build(db);
    const schema = new Map<string, string>();
    const objects = db.prepare("SELECT type, name, sql FROM sqlite_master WHERE name NOT LIKE 'sqlite_%'").all() as { type: string; name: string; sql: string | null }[];
    for (const o of objects) {
      if (o.type === "index") schema.set(`index ${o.name}`, (o.sql ?? "").replace(/\s+/g, " "));
      if (o.type !== "table") continue;
      for (const c of db.prepare("SELECT name, type, \"notnull\", dflt_value, pk FROM pragma_table_info(?)").all(o.name) as { name: string }[]) {
        schema.set(`column ${o.name}.${c.name}`, JSON.stringify(c));
      }
    }
    return schema;
  } finally {
    db.close();
  }
}

/** What the older schema has that the newer one lacks or defines otherwise. */
function schemaDifference(older: Map<string, string>, newer: Map<string, string>): string[] {
  return [...older].filter(([key, definition]) => newer.get(key) !== definition).map(([key]) => `${key} ${newer.has(key) ? "changed" : "gone"}`);
}
