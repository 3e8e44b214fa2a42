// The private PostgreSQL of tests/postgres/global-setup.ts, and a database of its own for each
// store a test opens (CREATE DATABASE, named after the test file and the store).
import { randomBytes } from "node:crypto";
import pg from "pg";
import { inject } from "vitest";

/** The loopback address the PostgreSQL tests own (127.172.0.0/16). */
export const POSTGRES_ADDRESS = "127.172.0.1";

export interface PostgresServer {
  host: string;
  port: number;
  user: string;
  password: string;
}

declare module "vitest" {
  export interface ProvidedContext {
    postgres: PostgresServer;
  }
}

export function postgresServer(): PostgresServer {
  return inject("postgres");
}

/** The URL of database `name` on the test server, password included. */
export function postgresUrl(name: string, server = postgresServer()): string {
  return `postgres://${server.user}:${encodeURIComponent(server.password)}@${server.host}:${server.port}/${name}`;
}

/** Creates an empty database (`label` and a random suffix, so reruns and parallel files never meet) and returns its URL. */
export async function freshDatabase(label: string): Promise<string> {
  const name = `${label.toLowerCase().replace(/[^a-z0-9]+/g, "_").slice(0, 40)}_${randomBytes(4).toString("hex")}`;
  const admin = new pg.Client({ connectionString: postgresUrl("postgres") });
  await admin.connect();
  try {
    await admin.query(`CREATE DATABASE ${name}`);
  } finally {
    await admin.end();
  }
  return postgresUrl(name);
}
