// Vitest global setup for the tests that run against PostgreSQL (the store tests on both
// backends, the CLI's --db postgres:// test): one private PostgreSQL 15 for the whole run, on
// 127.172.0.1 at a free port from 55000 up, its superuser behind a password (so the store's
// URLs carry one, and tests can check it never leaks). Each test file creates its own databases
// (tests/postgres/database.ts). Stopped, and its directory removed, at the end.
import { randomBytes } from "node:crypto";
import { mkdtemp, rm } from "node:fs/promises";
import { createServer } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { TestProject } from "vitest/node";
import { startPostgres } from "../../fixtures/lib/starttls-servers.js";
import { type PostgresServer, POSTGRES_ADDRESS } from "./database.js";

const FIRST_PORT = 55_000;
/** Ports tried, from a random start past FIRST_PORT: parallel test runs on one machine each find their own. */
const PORT_TRIES = 50;

function isFree(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const probe = createServer();
    probe.once("error", () => resolve(false));
    probe.listen(port, POSTGRES_ADDRESS, () => probe.close(() => resolve(true)));
  });
}

async function freePort(): Promise<number> {
  const start = FIRST_PORT + Math.floor(Math.random() * 5000);
  for (let port = start; port < start + PORT_TRIES; port++) if (await isFree(port)) return port;
  throw new Error(`no free port on ${POSTGRES_ADDRESS} in ${start}-${start + PORT_TRIES - 1}`);
}

export default async function setup(project: TestProject): Promise<() => Promise<void>> {
  const dir = await mkdtemp(join(tmpdir(), "pkiscope-postgres-"));
  const password = randomBytes(12).toString("base64url");
  const port = await freePort();
  const server = await startPostgres({ dir, address: POSTGRES_ADDRESS, port, password });
  const provided: PostgresServer = { host: POSTGRES_ADDRESS, port, user: "postgres", password };
  project.provide("postgres", provided);
  return async () => {
    await server.stop();
    await rm(dir, { recursive: true, force: true });
  };
}
