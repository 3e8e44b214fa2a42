// One endpoint of a sweep, start to finish: the chain probe and, when asked, the protocol posture
// probes in the same slot (posture never adds to the concurrency bound). The same function runs
// in the collector's thread and in its probe worker threads (./probe-pool.ts). Every connection
// it opens (the chain's, each posture handshake's, STARTTLS preamble included) first waits its
// turn under the scan's --rate.
import type { EndpointObservation, EndpointStatus, Probe } from "../../src/model/types.js";
import type { ProbeTimeouts } from "../collector.js";
import { type ConnectRate, awaitConnectTurn } from "./connect-rate.js";
import { probeProtocols } from "./posture.js";
import { observeTls, openForTls, probeStart } from "./probe.js";

/** A probe whose address is resolved, excluded or not, and whose STARTTLS protocol is decided: what a probe thread is sent. */
export type ProbeTarget = Pick<Probe, "port" | "sni"> & { address: string; starttls: string | null };

export interface ProbeSettings {
  timeouts: ProbeTimeouts;
  /** Protocol posture (--protocols) on every endpoint that answered TLS. */
  protocols: boolean;
  /** New connections per second across the scan (--rate), or null for no bound. */
  rate: ConnectRate | null;
}

/** What became of one probe; the observation is null for refused ports and skipped probes (nothing to record). */
export type ProbeOutcome = { status: EndpointStatus | "skipped"; observation: EndpointObservation | null };

/** The interrupt came while the probe waited for its turn: it never touched the network. */
const SKIPPED: ProbeOutcome = Object.freeze({ status: "skipped", observation: null });
/**
 * Refused ports are the bulk of any sweep; they are counted, not stored, so no observation is
 * built for them (its timestamps and fields were a tenth of a refused probe's CPU in a sweep).
 */
const CLOSED: ProbeOutcome = Object.freeze({ status: "closed", observation: null });

export async function probeTarget(target: ProbeTarget, settings: ProbeSettings, signal: AbortSignal): Promise<ProbeOutcome> {
  if (settings.rate) await awaitConnectTurn(settings.rate, signal);
  if (signal.aborted) return SKIPPED;
  const start = probeStart();
  const ready = await openForTls(target, settings.timeouts, signal);
  if ("status" in ready && ready.status === "closed") return CLOSED;
  const observation = await observeTls(target, start, ready, settings.timeouts, signal);
  if (settings.protocols && observation.status === "tls") {
    const nextConnection = async () => {
      await awaitConnectTurn(settings.rate, signal);
      if (signal.aborted) return { error: "scan interrupted before this version was tried" };
      return openForTls(target, settings.timeouts, signal);
    };
    observation.protocols = await probeProtocols(nextConnection, target.sni, settings.timeouts.handshakeMs, signal);
  }
  return { status: observation.status, observation };
}
