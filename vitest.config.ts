import { configDefaults, defineConfig } from "vitest/config";

/**
 * The AD CS tests that talk to the Samba domain controller: every test file under tests/adcs/
 * except these, which decode hand-built input and need no DC. A new file there runs against the
 * DC unless it is named here.
 */
const ADCS_TESTS_WITHOUT_DC = ["facts", "pki-objects", "rule-metadata", "template-decoding"];
const ADCS_DC_TESTS = `tests/adcs/**/!(${ADCS_TESTS_WITHOUT_DC.join("|")}).test.ts`;
/** The tests that run against the private PostgreSQL of tests/postgres/global-setup.ts: the store tests (both backends), the CLI's, and distributed scanning's. */
const POSTGRES_TESTS = ["tests/store/**/*.test.ts", "tests/cli/postgres-store.test.ts", "tests/distributed/**/*.test.ts"];

// Projects, so that only the tests that need it pay for tests/adcs/global-setup.ts (it
// installs Samba if missing and provisions a domain controller, ten seconds and more): `unit` is
// every other test file, `adcs` the DC tests with the global setup. Each file is in exactly one.
// `postgres` likewise holds the tests that need a PostgreSQL server (one for the run).
// `vitest run` runs all; `--project unit`, `--project adcs` or `--project postgres` one of them.
export default defineConfig({
  test: {
    setupFiles: ["tests/setup.ts"],
    testTimeout: 60_000,
    hookTimeout: 120_000,
    pool: "forks",
    // Most test time is waiting (timeouts of silent peers, child processes, servers starting), not
    // CPU: three files at once on two cores. vitest's default, one fewer than the cores, ran the
    // suite one file at a time here.
    maxWorkers: 3,
    projects: [
      {
        extends: true,
        test: {
          name: "unit",
          include: ["tests/**/*.test.ts"],
          exclude: [...configDefaults.exclude, ADCS_DC_TESTS, ...POSTGRES_TESTS],
        },
      },
      {
        extends: true,
        test: {
          name: "adcs",
          include: [ADCS_DC_TESTS],
          globalSetup: ["tests/adcs/global-setup.ts"],
        },
      },
      {
        extends: true,
        test: {
          name: "postgres",
          include: POSTGRES_TESTS,
          globalSetup: ["tests/postgres/global-setup.ts"],
        },
      },
    ],
  },
});
