// What every collector is: metadata plus one `collect` that streams observations into the
// recorder. The engine owns concurrency limits, timeouts and exclusions and passes them in;
// a collector never throws for a bad target, it records the failure as data.
import type { ObservationSink } from "../src/observations/sink.js";
import type { Logger } from "../src/log.js";
import type { ExclusionList } from "../src/targets/targets.js";

export interface CollectorMeta {
  name: string;
  description: string;
}

export interface ProbeTimeouts {
  /** TCP connect: no answer within this is a closed (unanswered) endpoint. */
  connectMs: number;
  /** TLS handshake after connect: a server that accepts and stays silent is a timeout. */
  handshakeMs: number;
  /** Each step of a STARTTLS preamble (banner, command, reply); handshakeMs when unset. */
  starttlsStepMs?: number;
}

export interface CollectorContext {
  recorder: ObservationSink;
  log: Logger;
  /** Aborted on interrupt: stop starting work, finish or drop what is in flight. */
  signal: AbortSignal;
  exclusions: ExclusionList;
  timeouts: ProbeTimeouts;
  concurrency: number;
  /** How gently targets are dialled; unset: no rate bound, DEFAULT_PER_HOST. */
  politeness?: Politeness;
  /** Called once per unit of work done (a probe, a file), with its outcome. */
  onProgress(outcome: string): void;
}

export interface Politeness {
  /** New connections per second across the whole scan, every thread and collector that dials (--rate); null: no bound. */
  ratePerSecond: number | null;
  /** Connections in flight to one target address or hostname at once (--per-host). */
  perHost: number;
}

/**
 * sslyze's default per-server bound (its --slow_connection: 2); nmap and zgrab2 bound only the
 * whole scan. A sweep of one port per address is unaffected by it.
 */
export const DEFAULT_PER_HOST = 5;

/** Tallies by outcome, merged into the run's stats. */
export type CollectorTally = Record<string, number>;

/** A tally whose every count is also reported as progress (prefixed, e.g. "crl-ok"). */
export function outcomeCounter(ctx: Pick<CollectorContext, "onProgress">, progressPrefix = ""): {
  tally: CollectorTally;
  count(outcome: string): void;
} {
  const tally: CollectorTally = {};
  return {
    tally,
    count(outcome) {
      tally[outcome] = (tally[outcome] ?? 0) + 1;
      ctx.onProgress(`${progressPrefix}${outcome}`);
    },
  };
}

export interface Collector<Options> {
  meta: CollectorMeta;
  collect(options: Options, ctx: CollectorContext): Promise<CollectorTally>;
}
