// Runs one external command asynchronously (the benchmark's servers live in this process, so its
// event loop must stay free), timing its wall clock and reading its peak RSS: through GNU time
// (`/usr/bin/time -f %M`) when present, else by polling /proc/<pid>/status VmHWM.
import { spawn } from "node:child_process";
import { existsSync } from "node:fs";
import { readFile, rm } from "node:fs/promises";
import { join } from "node:path";
import type { ToolMeasurement } from "./bench.js";

export interface MeasuredRun {
  wallMs: number;
  /** Peak RSS in KiB of the measured command (not of /usr/bin/time), or null if unknown. */
  peakRssKiB: number | null;
  exitCode: number | null;
  signal: NodeJS.Signals | null;
  /** The last MAX_CAPTURE (or stdoutLimit) characters of stdout: all of it when it is shorter. */
  stdout: string;
  /** The first MAX_CAPTURE characters of stdout, for output whose summary comes first (a report). */
  stdoutHead: string;
  /** Bytes written to stdout in all. */
  stdoutBytes: number;
  stderr: string;
  timedOut: boolean;
  /** Set when the command could not be started at all. */
  spawnError?: string;
}

export interface MeasureOptions {
  cwd: string;
  /** Hard limit: the whole process group is killed after this long. */
  timeoutMs: number;
  /** Scratch directory for GNU time's output file. */
  scratchDir: string;
  env?: NodeJS.ProcessEnv;
  /** Keep this much of stdout's tail instead of MAX_CAPTURE, for output checked whole (JSON). */
  stdoutLimit?: number;
}

const GNU_TIME = "/usr/bin/time";
/** Keep at most this much of each output stream (the tail), so a chatty tool cannot exhaust memory. */
const MAX_CAPTURE = 256 * 1024;
const RSS_POLL_MS = 20;

let gnuTimeWorks: boolean | null = null;

/** GNU time is present and understands -f/-o (busybox's does not). Checked once. */
export async function hasGnuTime(): Promise<boolean> {
  if (gnuTimeWorks !== null) return gnuTimeWorks;
  if (!existsSync(GNU_TIME)) return (gnuTimeWorks = false);
  const probe = await new Promise<boolean>((resolve) => {
    const child = spawn(GNU_TIME, ["-f", "%M", "true"], { stdio: ["ignore", "ignore", "pipe"] });
    let err = "";
    child.stderr.on("data", (d: Buffer) => (err += d.toString()));
    child.on("error", () => resolve(false));
    child.on("close", (code) => resolve(code === 0 && /^\d+\s*$/m.test(err)));
  });
  return (gnuTimeWorks = probe);
}

let seq = 0;

/** Process groups started here and still running, so an interrupted bench can end them. */
const running = new Set<number>();

/** Kills the process groups this module started that are still running (on SIGINT/SIGTERM). */
export function killStartedProcesses(): void {
  for (const pid of running) {
    try {
      process.kill(-pid, "SIGKILL");
    } catch {
      // already gone
    }
  }
  running.clear();
}

export async function measureCommand(command: string, args: readonly string[], options: MeasureOptions): Promise<MeasuredRun> {
  const useTime = await hasGnuTime();
  const timeFile = join(options.scratchDir, `time-${process.pid}-${seq++}.txt`);
  const file = useTime ? GNU_TIME : command;
  const argv = useTime ? ["-f", "%M", "-o", timeFile, command, ...args] : [...args];

  const started = performance.now();
  const child = spawn(file, argv, {
    cwd: options.cwd,
    env: options.env ?? process.env,
    stdio: ["ignore", "pipe", "pipe"],
    // Own process group, so a timeout kills the tool and not only /usr/bin/time.
    detached: true,
  });
  if (child.pid !== undefined) running.add(child.pid);
  let stdout = "";
  let stdoutHead = "";
  let stdoutBytes = 0;
  let stderr = "";
  const keep = (acc: string, chunk: Buffer, limit = MAX_CAPTURE): string => {
    const next = acc + chunk.toString();
    return next.length > limit ? next.slice(-limit) : next;
  };
  child.stdout.on("data", (d: Buffer) => {
    stdout = keep(stdout, d, options.stdoutLimit);
    if (stdoutHead.length < MAX_CAPTURE) stdoutHead = (stdoutHead + d.toString()).slice(0, MAX_CAPTURE);
    stdoutBytes += d.length;
  });
  child.stderr.on("data", (d: Buffer) => (stderr = keep(stderr, d)));

  let polledHwm: number | null = null;
  const poller = useTime
    ? null
    : setInterval(() => {
        if (child.pid === undefined) return;
        readFile(`/proc/${child.pid}/status`, "utf8").then(
          (status) => {
            const m = /^VmHWM:\s+(\d+)\s+kB/m.exec(status);
            if (m) polledHwm = Math.max(polledHwm ?? 0, Number(m[1]));
          },
          () => {},
        );
      }, RSS_POLL_MS);

  let timedOut = false;
  const killer = setTimeout(() => {
    timedOut = true;
    if (child.pid !== undefined) {
      try {
        process.kill(-child.pid, "SIGKILL");
      } catch {
        child.kill("SIGKILL");
      }
    }
  }, options.timeoutMs);

  const result = await new Promise<{ code: number | null; signal: NodeJS.Signals | null; error?: string }>((resolve) => {
    child.once("error", (err) => resolve({ code: null, signal: null, error: err.message }));
    child.once("close", (code, signal) => resolve({ code, signal }));
  });
  const wallMs = performance.now() - started;
  if (child.pid !== undefined) running.delete(child.pid);
  clearTimeout(killer);
  if (poller) clearInterval(poller);

  let peakRssKiB: number | null = polledHwm;
  if (useTime) {
    try {
      // GNU time prefixes "Command exited with non-zero status N" on failure: the number is last.
      const lines = (await readFile(timeFile, "utf8")).trim().split("\n");
      const last = Number(lines[lines.length - 1]);
      peakRssKiB = Number.isFinite(last) && last > 0 ? last : null;
    } catch {
      peakRssKiB = null;
    }
    await rm(timeFile, { force: true });
  }
  // GNU time reports the child's status as its own: 1xx/127 mean time could not run it.
  const run: MeasuredRun = { wallMs, peakRssKiB, exitCode: result.code, signal: result.signal, stdout, stdoutHead, stdoutBytes, stderr, timedOut };
  if (result.error) run.spawnError = result.error;
  return run;
}

/** One-line description of why a run failed, or null if it exited 0. */
export function runFailure(run: MeasuredRun, timeoutMs: number): string | null {
  if (run.spawnError) return `could not start: ${run.spawnError}`;
  if (run.timedOut) return `killed after ${timeoutMs} ms`;
  if (run.exitCode === 0) return null;
  // The last lines that are not stack frames: an uncaught error's frames would push out its message.
  const tail = run.stderr.trim().split("\n").filter((line) => !/^\s+at /.test(line)).slice(-3).join(" | ");
  return `exit ${run.exitCode ?? run.signal}${tail ? `: ${tail.slice(0, 400)}` : ""}`;
}

/**
 * Adds a run's wall time and peak RSS to its row; or, when `failure` is set (runFailure's, or why
 * the output does not count), marks the row and lists why. True when the run counts.
 */
export function recordRun(row: ToolMeasurement, run: MeasuredRun, failure: string | null, failures: string[], context = ""): boolean {
  if (failure) {
    row.error = failure;
    failures.push(`${row.tool}${context}: ${failure}`);
    return false;
  }
  row.runsMs.push(run.wallMs);
  row.peakRssKiB.push(run.peakRssKiB);
  return true;
}

/** Runs a command to completion without timing it (builds, installers); `echo` copies its output to stderr. */
export function runQuiet(
  command: string,
  args: readonly string[],
  options: { cwd: string; timeoutMs: number; echo?: boolean },
): Promise<{ code: number | null; output: string; error?: string }> {
  return new Promise((resolve) => {
    const child = spawn(command, args, { cwd: options.cwd, stdio: ["ignore", "pipe", "pipe"], detached: true });
    if (child.pid !== undefined) running.add(child.pid);
    let output = "";
    const add = (d: Buffer): void => {
      if (options.echo) process.stderr.write(d);
      output = (output + d.toString()).slice(-MAX_CAPTURE);
    };
    child.stdout.on("data", add);
    child.stderr.on("data", add);
    const killer = setTimeout(() => {
      if (child.pid !== undefined) {
        try {
          process.kill(-child.pid, "SIGKILL");
        } catch {
          child.kill("SIGKILL");
        }
      }
      output += `\n(killed after ${options.timeoutMs} ms)`;
    }, options.timeoutMs);
    child.once("error", (err) => {
      if (child.pid !== undefined) running.delete(child.pid);
      clearTimeout(killer);
      resolve({ code: null, output, error: err.message });
    });
    child.once("close", (code) => {
      if (child.pid !== undefined) running.delete(child.pid);
      clearTimeout(killer);
      resolve({ code, output });
    });
  });
}
