// Pieces every command shares: option parsing helpers, the logger, the progress bar and
// interrupt handling.
import { createRequire } from "node:module";
import { UsageError } from "../errors.js";
import { type Logger, createLogger } from "../log.js";
import type { CliIo, GlobalOptions } from "./index.js";

const require = createRequire(import.meta.url);

export function positiveInt(text: string, option: string): number {
  if (!/^\d+$/.test(text) || Number(text) < 1) throw new UsageError(`${option} takes a positive whole number, not "${text}"`);
  return Number(text);
}

/** A port to listen on; 0 lets the system pick one. */
export function listenPort(text: string, option: string): number {
  if (!/^\d+$/.test(text) || Number(text) > 65535) throw new UsageError(`${option} takes a port (0-65535), not "${text}"`);
  return Number(text);
}

export function loggerFor(options: GlobalOptions, io: CliIo): Logger {
  const level = options.quiet ? "error" : options.verbose ? "debug" : "info";
  return createLogger({ json: options.json ?? false, level, stream: io.stderr });
}

export interface Progress {
  start(total: bigint): void;
  tick(outcome: string): void;
  stop(): void;
}

/** A progress bar on a terminal (probes done/total, TLS endpoints found); nothing elsewhere. */
export function progressFor(options: GlobalOptions & { progress?: boolean }, io: CliIo): Progress {
  if (!io.stderr.isTTY || options.quiet || options.json || options.progress === false) {
    return { start() {}, tick() {}, stop() {} };
  }
  // Loaded for a terminal only (synchronously: the package is CommonJS); redirected runs never need it.
  const cliProgress = require("cli-progress") as typeof import("cli-progress");
  const bar = new cliProgress.SingleBar(
    {
      stream: io.stderr,
      format: "{bar} {value}/{total} probes | {tls} TLS endpoints | {eta_formatted} left",
      hideCursor: true,
      etaBuffer: 200,
    },
    cliProgress.Presets.shades_classic,
  );
  let found = 0;
  let started = false;
  return {
    start(total) {
      started = true;
      bar.start(Number(total), 0, { tls: 0 });
    },
    tick(outcome) {
      if (!started) return;
      if (outcome === "tls") found++;
      bar.increment(1, { tls: found });
    },
    stop() {
      if (started) bar.stop();
      started = false;
    },
  };
}

/** What an interrupt is told: the first (work winds down), the second (the process exits at once). */
export interface InterruptMessages {
  first: string;
  again: string;
}

const SCAN_INTERRUPTED: InterruptMessages = {
  first: "interrupted: finishing probes in flight, then writing a partial run (interrupt again to quit now)",
  again: "interrupted again: exiting without finishing the run",
};

/**
 * Runs `work` with an AbortSignal that the first interrupt aborts (a scan stops starting
 * probes, analyses what it has and marks the run incomplete); a second interrupt exits at once.
 */
export async function withInterrupt<T>(
  io: CliIo, log: Logger, work: (signal: AbortSignal) => Promise<T>, messages: InterruptMessages = SCAN_INTERRUPTED,
): Promise<T> {
  const controller = new AbortController();
  const onInterrupt = (): void => {
    if (controller.signal.aborted) {
      log.error(messages.again);
      process.exit(130);
    }
    log.warn(messages.first);
    controller.abort();
  };
  io.interrupt?.addEventListener("abort", onInterrupt, { once: true });
  process.on("SIGINT", onInterrupt);
  process.on("SIGTERM", onInterrupt);
  try {
    return await work(controller.signal);
  } finally {
    process.off("SIGINT", onInterrupt);
    process.off("SIGTERM", onInterrupt);
  }
}
