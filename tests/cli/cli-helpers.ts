// Runs the CLI in-process with captured streams, or as a real child process.
import { spawn } from "node:child_process";
import { once } from "node:events";
import { createServer, type Server, type Socket } from "node:net";
import { PassThrough } from "node:stream";
import { runCli } from "../../src/cli/index.js";
import { mostWithin } from "../net/accept-times.js";
import type { ScanCommandOptions } from "../../src/cli/scan-command.js";

/** `pkiscope scan` option values as commander gives them with nothing given, for tests of buildScanPlan (short timeouts, nothing fetched). */
export const SCAN_OPTIONS: ScanCommandOptions = {
  db: ":memory:", ldapTimeout: "1000", concurrency: "8", connectTimeout: "1000", handshakeTimeout: "2000", revocation: false, fetch: false,
  fetchTimeout: "1000", fetchMaxBytes: "1000", fetchPerHost: "1", out: "out", report: false, progress: false,
};

export interface CliResult {
  code: number;
  stdout: string;
  stderr: string;
}

export async function runInProcess(args: string[]): Promise<CliResult> {
  const stdout = new PassThrough();
  const stderr = new PassThrough();
  let out = "";
  let err = "";
  stdout.on("data", (d: Buffer) => (out += d.toString()));
  stderr.on("data", (d: Buffer) => (err += d.toString()));
  const code = await runCli(args, { stdout, stderr, env: {} });
  return { code, stdout: out, stderr: err };
}

/** The CLI as users run it (from source through tsx, so no stale build is tested). */
export function spawnCli(args: string[], env: NodeJS.ProcessEnv = {}) {
  return spawn(process.execPath, ["--import", "tsx", "src/cli/main.ts", ...args], {
    cwd: new URL("../..", import.meta.url).pathname,
    env: { ...process.env, ...env },
    stdio: ["ignore", "pipe", "pipe"],
  });
}

/** Waits for a spawned CLI to exit; stdout and stderr interleaved. */
export function runToEnd(child: ReturnType<typeof spawnCli>): Promise<{ code: number | null; output: string }> {
  let output = "";
  child.stdout.on("data", (d: Buffer) => (output += d.toString()));
  child.stderr.on("data", (d: Buffer) => (output += d.toString()));
  return new Promise((resolve) => child.on("close", (code) => resolve({ code, output })));
}

/** Polls `probe` until it gives a value; throws naming `what` after the timeout. */
export async function waitFor<T>(what: string, probe: () => Promise<T | undefined> | T | undefined, timeoutMs = 60_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    const value = await probe();
    if (value !== undefined) return value;
    await new Promise((r) => setTimeout(r, 200));
  }
  throw new Error(`timed out waiting for ${what}`);
}

/** Silent listeners and what they took (see startSilentPeers). */
export interface SilentPeers {
  /** Every connection they took, in order. */
  held: Socket[];
  /** When each connection in `held` was accepted (ms since the epoch). */
  acceptedAt: number[];
  /**
   * The most connections accepted within any `windowMs` since `sinceMs`. Accept times, not a
   * count of open sockets: this side sees a probe's hang-up only after the scanner has already
   * connected the next one, so a count of open sockets reads high for a moment.
   */
  mostAcceptedWithin(windowMs: number, sinceMs?: number): number;
  close(): Promise<void>;
}

/**
 * Listeners on `${prefix}.1` to `${prefix}.${count}` that accept and never speak: a scan that
 * reaches them waits for its handshake timeout, or until the test hangs up.
 */
export async function startSilentPeers(prefix: string, count: number, port: number): Promise<SilentPeers> {
  const held: Socket[] = [];
  const acceptedAt: number[] = [];
  const servers: Server[] = [];
  const peers: SilentPeers = {
    held,
    acceptedAt,
    mostAcceptedWithin: (windowMs, sinceMs = 0) => mostWithin(acceptedAt.filter((t) => t >= sinceMs), windowMs),
    close: async () => {
      for (const s of held) s.destroy();
      await Promise.all(servers.map((s) => new Promise((r) => s.close(r))));
    },
  };
  for (let i = 1; i <= count; i++) {
    const server = createServer((s) => {
      held.push(s);
      acceptedAt.push(Date.now());
      s.on("error", () => {});
      s.resume();
    });
    server.listen(port, `${prefix}.${i}`);
    await once(server, "listening");
    servers.push(server);
  }
  return peers;
}

/** `pkiscope runs`: each run's id and state, in the store's order. */
export async function listedRuns(db: string): Promise<{ id: string; state: string }[]> {
  const result = await runInProcess(["runs", "--db", db]);
  if (result.code !== 0) throw new Error(`pkiscope runs exited ${result.code}: ${result.stderr}`);
  return result.stdout.trim().split("\n").map((line) => {
    const [id, , state] = line.split(/\s+/);
    return { id: id!, state: state! };
  });
}

/** A stored run's report as `pkiscope report` prints it, in each format. */
export async function renderedReports(db: string, run: string): Promise<Record<string, string>> {
  const rendered: Record<string, string> = {};
  for (const format of ["json", "html", "csv"]) {
    const result = await runInProcess(["report", "--db", db, "--run", run, "--format", format]);
    if (result.code !== 0) throw new Error(`pkiscope report --format ${format} exited ${result.code}: ${result.stderr}`);
    rendered[format] = result.stdout;
  }
  return rendered;
}
