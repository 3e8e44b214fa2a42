// Issue 13 item 7: every input error, on every command that takes the input, is one line on
// stderr naming the problem and the option or file, with the exit code the README and --help
// document (2 usage, 3 store), and never a stack trace. The built CLI runs as users run it.
import { execFile } from "node:child_process";
import { existsSync } from "node:fs";
import { mkdir, mkdtemp, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { beforeAll, describe, expect, it } from "vitest";

const REPO = new URL("../..", import.meta.url).pathname;
const CLI = join(REPO, "dist/src/cli/main.js");
/** Nothing listens here (this file's loopback prefix): a refused connect, at once. */
const NOBODY = "127.205.0.1";

let root: string;
/** Paths under the shared fixture directory. */
const at = (name: string): string => join(root, name);

interface Outcome {
  code: number | null;
  stderr: string;
}

function pkiscope(args: string[], env: NodeJS.ProcessEnv = {}): Promise<Outcome> {
  return new Promise((resolve) => {
    execFile(process.execPath, [CLI, ...args], { cwd: root, env: { ...process.env, ...env }, timeout: 60_000 }, (err, _stdout, stderr) => {
      const code = err === null ? 0 : typeof err.code === "number" ? err.code : null;
      resolve({ code, stderr });
    });
  });
}

beforeAll(async () => {
  if (!existsSync(CLI)) throw new Error(`${CLI} is missing: npm run build first`);
  root = await mkdtemp(join(tmpdir(), "pkiscope-input-errors-"));
  await writeFile(at("garbage.pem"), "-----BEGIN CERTIFICATE-----\nbm90IGEgY2VydGlmaWNhdGU=\n-----END CERTIFICATE-----\n");
  await writeFile(at("truncated.json"), '{"name": "rubric", "categories": [');
  await writeFile(at("wrong-shape.json"), '{"name": 7}');
  await writeFile(at("answers-bad.yaml"), "answers: [\n");
  await writeFile(at("answers-unknown.yaml"), "answers:\n  - id: no-such-question\n    answer: yes\n");
  await writeFile(at("config-bad.yaml"), "profiles: {\n");
  await writeFile(at("config-wrong.yaml"), "profiles:\n  dmz:\n    networks: 7\n");
  await writeFile(at("not-a-db.db"), `SQLite format 3\0${"garbage".repeat(200)}`);
  await mkdir(at("a-directory"));
  // One run in the store, so the commands that read one get as far as their own inputs.
  const seeded = await pkiscope(["scan", "-t", NOBODY, "-p", "1", "--connect-timeout", "2000", "--no-fetch", "--no-report", "-q", "--db", at("store.db")]);
  expect(seeded, "the seeding scan").toMatchObject({ code: 0 });
  expect(await pkiscope(["questionnaire", "init", "-o", at("answers.yaml")]), "questionnaire init").toMatchObject({ code: 0 });
}, 120_000);

const store = (): string[] => ["--db", at("store.db")];
const scanOf = (...args: string[]): string[] => ["scan", "-t", NOBODY, "-p", "1", "--no-fetch", "--no-report", ...args];

/** [what, argv (built once the fixture exists), exit code, what the one line must say] */
const CASES: [string, () => string[], number, RegExp][] = [
  ["a CIDR prefix past /32", () => ["scan", "-t", "10.0.0.0/33", ...store()], 2, /not a CIDR.*"10\.0\.0\.0\/33"/],
  ["a three-part address", () => ["scan", "-t", "1.2.3", ...store()], 2, /not a CIDR.*"1\.2\.3"/],
  ["an IPv6 prefix past /128", () => ["scan", "-t", "::1/129", ...store()], 2, /not a CIDR.*"::1\/129"/],
  ["a backwards range", () => ["scan", "-t", "10.0.0.9-10.0.0.1", ...store()], 2, /range "10\.0\.0\.9-10\.0\.0\.1" ends before it starts/],
  ["a malformed --exclude", () => scanOf("--exclude", "10.0.0.0/40", ...store()), 2, /--exclude .*"10\.0\.0\.0\/40"/],
  ["a port out of range", () => ["scan", "-t", NOBODY, "-p", "70000", ...store()], 2, /port.*70000/],
  ["an unknown scan flag", () => ["scan", "--bogus", ...store()], 2, /unknown option '--bogus' \(see pkiscope scan --help\)/],
  ["an unknown flag with a suggestion", () => ["report", "--formt", "json", ...store()], 2, /unknown option '--formt' \(Did you mean --format\?\) \(see pkiscope report --help\)/],
  ["an unknown command", () => ["scna"], 2, /unknown command 'scna'/],
  ["a missing option value", () => ["scan", "-t"], 2, /option '-t, --targets <list>' argument missing/],
  ["a missing required option", () => ["assess", ...store()], 2, /required option '--answers <file>' not specified/],
  ["a bad choice", () => scanOf("--fail-on", "severe", ...store()), 2, /'--fail-on <severity>' argument 'severe' is invalid/],
  ["a non-number", () => scanOf("--concurrency", "many", ...store()), 2, /--concurrency takes a positive whole number, not "many"/],
  ["a missing trust-anchor file", () => scanOf("--trust-anchors", at("absent.pem"), ...store()), 2, /--trust-anchors .*absent\.pem.*ENOENT/],
  ["a trust-anchor directory", () => scanOf("--trust-anchors", at("a-directory"), ...store()), 2, /--trust-anchors .*a-directory.*EISDIR/],
  ["a garbage trust-anchor file", () => scanOf("--trust-anchors", at("garbage.pem"), ...store()), 2, /--trust-anchors .*garbage\.pem holds no parsable certificate/],
  ["a missing --crl-file", () => scanOf("--crl-file", at("absent.crl"), ...store()), 2, /--crl-file .*absent\.crl: ENOENT/],
  ["a missing rubric (scan)", () => scanOf("--rubric", at("absent.json"), ...store()), 2, /rubric .*absent\.json: cannot read it \(ENOENT\)/],
  ["a rubric that is not JSON (scan)", () => scanOf("--rubric", at("truncated.json"), ...store()), 2, /rubric .*truncated\.json: not JSON/],
  ["a rubric of the wrong shape (maturity)", () => ["maturity", "--rubric", at("wrong-shape.json"), ...store()], 2, /rubric .*wrong-shape\.json: at name:/],
  ["a rubric that is not JSON (report --at)", () => ["report", "--at", "2030-01-01", "--rubric", at("truncated.json"), ...store()], 2, /rubric .*truncated\.json: not JSON/],
  ["a PKIC mapping that is not JSON (assess)", () => ["assess", "--answers", at("answers.yaml"), "--pkic-mapping", at("truncated.json"), ...store()], 2, /PKIC mapping .*truncated\.json: not JSON/],
  ["a missing answers file", () => ["assess", "--answers", at("absent.yaml"), ...store()], 2, /answers .*absent\.yaml: cannot read it \(ENOENT\)/],
  ["an answers file that is not YAML", () => ["assess", "--answers", at("answers-bad.yaml"), ...store()], 2, /answers .*answers-bad\.yaml: not YAML/],
  ["an answers file naming no question", () => ["assess", "--answers", at("answers-unknown.yaml"), ...store()], 2, /answers .*answers-unknown\.yaml.*no question no-such-question/],
  ["a missing --config (daemon)", () => ["daemon", "--config", at("absent.yaml"), ...store()], 2, /--config .*absent\.yaml.*ENOENT/],
  ["a --config that is not YAML (daemon)", () => ["daemon", "--config", at("config-bad.yaml"), ...store()], 2, /config-bad\.yaml:\d+: /],
  ["a --config of the wrong shape (scan)", () => ["scan", "--config", at("config-wrong.yaml"), "--profile", "dmz", ...store()], 2, /config-wrong\.yaml.*networks/],
  ["a --from naming no run (diff)", () => ["diff", "--from", "no-such-run", ...store()], 2, /--from: no run "no-such-run"/],
  ["a --run naming no run (report)", () => ["report", "--run", "no-such-run", ...store()], 2, /--run: no run "no-such-run"/],
  ["a bad --prefix (demo)", () => ["demo", "--prefix", "10.1.2", "--db", at("demo.db"), "--out", at("demo")], 2, /--prefix must be a loopback \/24.*"10\.1\.2"/],
  ["a --db that is a directory", () => ["runs", "--db", at("a-directory")], 3, /cannot open store .*a-directory: it is a directory/],
  ["a --db that is not a SQLite file", () => ["runs", "--db", at("not-a-db.db")], 3, /cannot open store .*not-a-db\.db: file is not a database/],
  ["a --db in a read-only location", () => scanOf("--db", "/proc/pkiscope-input-errors.db"), 3, /cannot open store \/proc\/pkiscope-input-errors\.db: unable to open/],
  ["a --db postgres URL that does not parse", () => ["runs", "--db", "postgres://user:s3cret-pw@127.205.0.1:notaport/db"], 3, /store postgres:\/\/…: Invalid URL/],
  ["a --db postgres server that is not there", () => ["runs", "--db", `postgres://user:s3cret-pw@${NOBODY}:1/db`], 3, /store postgres:\/\/user:\*\*\*@127\.205\.0\.1:1\/db: connect ECONNREFUSED/],
];

describe("input errors", () => {
  // Each case is a process start and nothing else: run a few at once (vitest's maxConcurrency).
  it.concurrent.for(CASES)("%s: one line, the documented exit code, no stack", async ([, argv, code, says], { expect }) => {
    const args = argv();
    const outcome = await pkiscope(args);
    const lines = outcome.stderr.trimEnd().split("\n");
    expect(lines, `stderr of pkiscope ${args.join(" ")}`).toHaveLength(1);
    expect(lines[0]).toMatch(/^error: /);
    expect(lines[0]).toMatch(says);
    expect(outcome.stderr).not.toMatch(/^\s+at /m);
    expect(outcome.stderr).not.toContain("node:internal");
    expect(outcome.stderr).not.toContain("s3cret-pw");
    expect(outcome.code).toBe(code);
  });

  it("lists the exit codes in --help", async () => {
    const help = await new Promise<string>((resolve) => execFile(process.execPath, [CLI, "scan", "--help"], (_err, stdout) => resolve(stdout)));
    expect(help).toMatch(/Exit codes:\n  0 .*\n(.*\n)*  1 .*--fail-on\n  2 +usage error(.*\n)*  3 +the store(.*\n)*  130 +interrupted/);
  });
});
